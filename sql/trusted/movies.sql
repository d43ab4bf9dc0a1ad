-- Trusted movies on Athena: the lines of the Raw movies.csv that the Polars path keeps
-- (crates/trusted/src/csv_rows.rs), as its columns, in its order, with the types it
-- registers (string, int, bigint, double, array<string>). The SELECT of the CTAS of
-- `cinelake trusted --engine athena`; movies_rejects.sql selects every other line, with
-- the Polars path's reason, from the same WITH (word for word: scripts/sql_trusted.py
-- checks that, and runs both against the Polars path's table and quarantine). The rules,
-- and the few places Athena cannot match: sql/trusted/README.md.
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
        element_at(f, 5) AS runtime_minutes,
        element_at(f, 6) AS genres,
        element_at(f, 7) AS average_rating,
        element_at(f, 8) AS num_votes,
        element_at(f, 9) AS artist_category,
        element_at(f, 10) AS character_name,
        element_at(f, 11) AS artist_name,
        element_at(f, 12) AS birth_year,
        element_at(f, 13) AS death_year,
        element_at(f, 14) AS professions,
        element_at(f, 15) AS known_for_titles
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
            WHEN field_count <> 15 THEN CAST(field_count AS varchar) || ' fields, expected 15'
            ELSE nullif(concat_ws('; ',
                CASE WHEN NOT (release_year IN ('', '\N') OR (regexp_like(release_year, '^[+-]?[0-9]+$')
                                AND try_cast(release_year AS integer) IS NOT NULL))
                     THEN 'anoLancamento: "' || release_year || '" is not a whole number' END,
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
SELECT
    CASE WHEN title_id IN ('', '\N') THEN NULL ELSE title_id END AS title_id,
    CASE WHEN primary_title IN ('', '\N') THEN NULL ELSE primary_title END AS primary_title,
    CASE WHEN original_title IN ('', '\N') THEN NULL ELSE original_title END AS original_title,
    try_cast(release_year AS integer) AS release_year,
    try_cast(runtime_minutes AS integer) AS runtime_minutes,
    CASE WHEN genres IN ('', '\N') THEN NULL ELSE split(genres, ',') END AS genres,
    try_cast(average_rating AS double) AS average_rating,
    try_cast(num_votes AS bigint) AS num_votes,
    CASE WHEN artist_category IN ('', '\N') THEN NULL ELSE artist_category END AS artist_category,
    CASE WHEN character_name IN ('', '\N') THEN NULL ELSE character_name END AS character_name,
    CASE WHEN artist_name IN ('', '\N') THEN NULL ELSE artist_name END AS artist_name,
    try_cast(birth_year AS integer) AS birth_year,
    try_cast(death_year AS integer) AS death_year,
    CASE WHEN professions IN ('', '\N') THEN NULL ELSE split(professions, ',') END AS professions,
    CASE WHEN known_for_titles IN ('', '\N') THEN NULL ELSE split(known_for_titles, ',') END AS known_for_titles
FROM checked
WHERE reason IS NULL
