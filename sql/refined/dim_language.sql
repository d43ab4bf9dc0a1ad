-- dim_language: the spoken languages of the films of fact_film, from their latest TMDB
-- collection (star.rs dim_language), each ISO 639-1 code once with its English and
-- native names.
WITH
-- One row per title of Trusted movies: the title's attributes repeat on each of its
-- artist rows (where they would not agree, the first row in this order is taken).
titles AS (
    SELECT title_id, primary_title, release_year, genres, runtime_minutes, average_rating,
           num_votes
    FROM (
        SELECT m.title_id, m.primary_title, m.release_year, m.genres, m.runtime_minutes,
               m.average_rating, m.num_votes,
               row_number() OVER (
                   PARTITION BY m.title_id
                   ORDER BY m.primary_title, m.release_year, m.runtime_minutes,
                            m.average_rating, m.num_votes, array_join(m.genres, ',')
               ) AS pick
        FROM ${trusted}.movies AS m
        WHERE m.title_id IS NOT NULL
    ) AS ranked
    WHERE pick = 1
),
-- The films of interest (rules::Selection::admits): the release year in range (a title
-- without one only when no range is set), and any of its genres one asked for, trimmed
-- and lowercased (when none is asked for, every genre).
admitted AS (
    SELECT t.*
    FROM titles AS t
    WHERE (CASE
               WHEN t.release_year IS NULL THEN ${min_year} = 0 AND ${max_year} = 9999
               ELSE (${min_year} = 0 OR t.release_year >= ${min_year})
                    AND (${max_year} = 9999 OR t.release_year <= ${max_year})
           END)
      AND (cardinality(CAST(ARRAY[${genres}] AS array(varchar))) = 0
           OR cardinality(filter(t.genres, g -> contains(
                  CAST(ARRAY[${genres}] AS array(varchar)), lower(trim(g))))) > 0)
),
-- Every TMDB row (every collection, dt) of the films of interest.
tmdb AS (
    SELECT tm.*
    FROM ${trusted}.tmdb_movies AS tm
    JOIN admitted AS a ON a.title_id = tm.imdb_id
),
-- Each film's row from its latest collection (the greatest dt); where that collection
-- holds the film under two TMDB ids, the row of the first Raw file, then the smaller id.
latest AS (
    SELECT *
    FROM (
        SELECT tm.*,
               row_number() OVER (
                   PARTITION BY tm.imdb_id
                   ORDER BY tm.dt DESC, tm.source_file, tm.tmdb_id
               ) AS pick
        FROM tmdb AS tm
    ) AS ranked
    WHERE pick = 1
),
-- Each language code once, named as where it first appears (the newest collection
-- first).
languages AS (
    SELECT iso_639_1 AS language_code, english_name, name AS native_name
    FROM (
        SELECT s.iso_639_1, s.english_name, s.name,
               row_number() OVER (
                   PARTITION BY s.iso_639_1
                   ORDER BY l.dt DESC, l.source_file, l.tmdb_id, s.english_name, s.name
               ) AS pick
        FROM latest AS l
        CROSS JOIN UNNEST(l.spoken_languages) AS s(iso_639_1, english_name, name)
        WHERE s.iso_639_1 IS NOT NULL
    ) AS ranked
    WHERE pick = 1
)
SELECT
    s.language_code,
    s.english_name,
    s.native_name
FROM languages AS s
