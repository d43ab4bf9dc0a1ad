"""cinelake's Python tools: the checks, tests and benchmarks beside the Rust workspace.

Nothing is installed: a tool runs from the repository's root as
`.venv/bin/python -m cinelake_tools.<module>` (.venv is the test environment scripts/test
makes from requirements/test.txt), and the tests run with `.venv/bin/python -m pytest`
(pyproject.toml holds the settings). docs/testing.md, "The Python tools", lists the
modules.

This file imports nothing, and must not: python_env and its test run on the machine's
own python3 before any environment exists.
"""
