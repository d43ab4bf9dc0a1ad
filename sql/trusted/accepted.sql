-- The lines of a Raw CSV that the Polars path keeps, as its columns, in its order, with
-- the types it registers (string, int, bigint, double, array<string>): the SELECT of
-- the CTAS of `cinelake trusted --engine athena`. Placeholder typed_columns gives
-- each column by its kind (crates/trusted/src/athena_select.rs).
${checked_lines}SELECT
${typed_columns}
FROM checked
WHERE reason IS NULL
