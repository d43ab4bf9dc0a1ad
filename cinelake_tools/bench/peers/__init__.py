"""DuckDB and Polars doing the same work as Trusted and Refined (the scale benchmark's
peers), and same_rows, which compares their tables with cinelake's
(scripts/peers-same-rows)."""
