-- bridge_film_artist: each CSV artist row of the films of fact_film with its artist's key
-- in dim_artist (star.rs artists), category and character: one row per row of the CSV
-- (not made distinct), the artist matched on name and birth year (none matching none).
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
-- The CSV's artist rows of the films of fact_film (those TMDB holds).
cast_rows AS (
    SELECT m.title_id, m.artist_name, m.birth_year, m.death_year, m.professions,
           m.artist_category, m.character_name
    FROM ${trusted}.movies AS m
    WHERE m.artist_name IS NOT NULL
      AND m.title_id IN (SELECT tm.imdb_id FROM tmdb AS tm)
),
-- An artist is a (name, birth year) pair (the CSV has no artist id), keyed by its rank
-- in that order, a birth year before none; its death year and professions are those of
-- its row in the film with the smallest id, and where that film lists it twice, the
-- first by category, character, death year and professions joined with ',' (nulls last,
-- Trino's default). star.rs sorts the artist's rows by the same values, nulls last, and
-- takes the first, so both choose the same row whatever the CSV's order.
artists AS (
    SELECT
        CAST(row_number() OVER (ORDER BY artist_name, birth_year NULLS LAST) - 1 AS bigint)
            AS artist_key,
        artist_name,
        birth_year,
        death_year,
        professions
    FROM (
        SELECT c.artist_name, c.birth_year, c.death_year, c.professions,
               row_number() OVER (
                   PARTITION BY c.artist_name, c.birth_year
                   ORDER BY c.title_id, c.artist_category, c.character_name, c.death_year,
                            array_join(c.professions, ',')
               ) AS pick
        FROM cast_rows AS c
    ) AS ranked
    WHERE pick = 1
)
SELECT
    c.title_id AS film_id,
    a.artist_key,
    c.artist_category,
    c.character_name
FROM cast_rows AS c
JOIN artists AS a
  ON a.artist_name = c.artist_name
 AND a.birth_year IS NOT DISTINCT FROM c.birth_year
