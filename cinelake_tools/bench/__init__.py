"""The benchmarks behind docs/benchmarks.md, run by scripts/bench-*. Not tests."""
