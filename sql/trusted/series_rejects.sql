-- The lines of the Raw series.csv that the Polars path refuses (crates/trusted/src/
-- csv_rows.rs), each as it was (`raw`: as text, bytes that are not UTF-8 shown as U+FFFD)
-- with the Polars path's reason. Athena cannot say which line of the file it was, so the
-- quarantine written from these rows has no `line`. The WITH is series.sql's, word for
-- word; the rules, and the few places Athena cannot match: sql/trusted/README.md.
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
        element_at(f, 1) AS title_id,
        element_at(f, 2) AS primary_title,
        element_at(f, 3) AS original_title,
        element_at(f, 4) AS release_year,
        element_at(f, 5) AS end_year,
        element_at(f, 6) AS runtime_minutes,
        element_at(f, 7) AS genres,
        element_at(f, 8) AS average_rating,
        element_at(f, 9) AS num_votes,
        element_at(f, 10) AS artist_category,
        element_at(f, 11) AS character_name,
        element_at(f, 12) AS artist_name,
        element_at(f, 13) AS birth_year,
        element_at(f, 14) AS death_year,
        element_at(f, 15) AS professions,
        element_at(f, 16) AS known_for_titles
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
            WHEN field_count <> 16 THEN CAST(field_count AS varchar) || ' fields, expected 16'
            ELSE nullif(concat_ws('; ',
                CASE WHEN NOT (release_year IN ('', '\N') OR (regexp_like(release_year, '^[+-]?[0-9]+$')
                                AND try_cast(release_year AS integer) IS NOT NULL))
                     THEN 'anoLancamento: "' || release_year || '" is not a whole number' END,
                CASE WHEN NOT (end_year IN ('', '\N') OR (regexp_like(end_year, '^[+-]?[0-9]+$')
                                AND try_cast(end_year AS integer) IS NOT NULL))
                     THEN 'anoTermino: "' || end_year || '" is not a whole number' END,
                CASE WHEN NOT (runtime_minutes IN ('', '\N') OR (regexp_like(runtime_minutes, '^[+-]?[0-9]+$')
                                AND try_cast(runtime_minutes AS integer) IS NOT NULL))
                     THEN 'tempoMinutos: "' || runtime_minutes || '" is not a whole number' END,
                CASE WHEN NOT (average_rating IN ('', '\N') OR (regexp_like(average_rating, '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$')
                                AND coalesce(is_finite(try_cast(average_rating AS double)), false)))
                     THEN 'notaMedia: "' || average_rating || '" is not a number' END,
                CASE WHEN NOT (num_votes IN ('', '\N') OR (regexp_like(num_votes, '^[+-]?[0-9]+$')
                                AND try_cast(num_votes AS bigint) IS NOT NULL))
                     THEN 'numeroVotos: "' || num_votes || '" is not a whole number' END,
                CASE WHEN NOT (birth_year IN ('', '\N') OR (regexp_like(birth_year, '^[+-]?[0-9]+$')
                                AND try_cast(birth_year AS integer) IS NOT NULL))
                     THEN 'anoNascimento: "' || birth_year || '" is not a whole number' END,
                CASE WHEN NOT (death_year IN ('', '\N') OR (regexp_like(death_year, '^[+-]?[0-9]+$')
                                AND try_cast(death_year AS integer) IS NOT NULL))
                     THEN 'anoFalecimento: "' || death_year || '" is not a whole number' END
            ), '')
        END AS reason
    FROM fields
)
SELECT text AS raw, reason
FROM checked
WHERE reason IS NOT NULL
