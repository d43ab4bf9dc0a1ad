-- The lines of a Raw CSV, each with its fields and, when the Polars path refuses it,
-- the Polars path's reason (crates/trusted/src/csv_rows.rs): the one WITH of
-- accepted.sql and rejects.sql, which include it (placeholder checked_lines). The
-- columns come from the one mapping (crates/trusted/src/mapping.rs): placeholder
-- fields names each field, field_count is the header's count, and checks holds one
-- CASE per number column, from its kind's rule (crates/trusted/src/athena_select.rs,
-- beside the Polars path's). The rules, and where Athena cannot match them:
-- sql/trusted/README.md.
WITH
-- Each line after the header, as the file has it (raw_csv_table.sql: one column holding
-- the whole line; its null format is the empty string, so an empty line comes as null
-- and a line `\N` as text).
lines AS (
    SELECT coalesce(line, '') AS line
    FROM ${raw_table}
),
-- The line's bytes, and its text: each byte sequence that is not UTF-8 becomes U+FFFD,
-- as the quarantine shows such a line (the text is the line itself when it is UTF-8).
decoded AS (
    SELECT to_utf8(line) AS bytes, from_utf8(to_utf8(line)) AS text
    FROM lines
),
-- The fields: the text split on `|`, with no quoting (a `"` is data). A line that is not
-- UTF-8 is refused with the length of its longest UTF-8 prefix (Rust's `valid_up_to`):
-- the bytes in hex, matched a UTF-8 character at a time (RFC 3629: no overlong forms,
-- no surrogates, nothing above U+10FFFF).
split_up AS (
    SELECT
        text,
        bytes = to_utf8(text) AS utf8,
        CASE WHEN bytes <> to_utf8(text) THEN length(regexp_extract(to_hex(bytes),
            '^(?:[0-7][0-9A-F]|(?:C[2-9A-F]|D[0-9A-F])[89AB][0-9A-F]'
            || '|(?:E0[AB][0-9A-F]|E[1-9A-CEF][89AB][0-9A-F]|ED[89][0-9A-F])[89AB][0-9A-F]'
            || '|(?:F0[9AB][0-9A-F]|F[1-3][89AB][0-9A-F]|F48[0-9A-F])[89AB][0-9A-F][89AB][0-9A-F])*'
        )) / 2 END AS valid_up_to,
        length(text) - length(replace(text, '|', '')) + 1 AS field_count,
        split(text, '|') AS f
    FROM decoded
),
fields AS (
    SELECT
        text,
        utf8,
        valid_up_to,
        field_count,
${fields}
    FROM split_up
),
-- Why the Polars path refuses the line, in its words; null when it keeps it. A line that
-- is not UTF-8 says only that; one with the wrong field count only its count; otherwise
-- every number that does not parse, in column order. Empty and `\N` are null, never
-- refused. A whole number is an optional sign and ASCII digits, within the column's
-- range; a number is Rust's f64 syntax without inf, infinity and NaN, and finite.
checked AS (
    SELECT
        *,
        CASE
            WHEN NOT utf8 THEN 'not UTF-8 at byte ' || coalesce(CAST(valid_up_to AS varchar), '?')
            WHEN field_count <> ${field_count} THEN CAST(field_count AS varchar) || ' fields, expected ${field_count}'
            ELSE nullif(concat_ws('; ',
${checks}
            ), '')
        END AS reason
    FROM fields
)
