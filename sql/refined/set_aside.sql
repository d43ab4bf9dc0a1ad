-- set_aside: not a table but the counts of what the rules set aside in one build, as the
-- Polars build counts them (star.rs build, SetAside), one row: the films TMDB holds that
-- the films-of-interest rule leaves out (or that the CSV lacks, so the rule cannot admit
-- them), and the films of interest whose budget, or revenue, is above 0 but under the
-- money floor, a placeholder read as unknown. Athena's run records them as the Polars
-- run does.
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
)
SELECT
    CAST(greatest(
        (SELECT count(DISTINCT tm.imdb_id)
         FROM ${trusted}.tmdb_movies AS tm
         WHERE tm.imdb_id IS NOT NULL)
        - (SELECT count(*) FROM latest), 0) AS bigint) AS films_left_out,
    CAST(count(CASE WHEN l.budget > 0 AND l.budget < ${money_floor} THEN 1 END) AS bigint)
        AS placeholder_budgets,
    CAST(count(CASE WHEN l.revenue > 0 AND l.revenue < ${money_floor} THEN 1 END)
         AS bigint) AS placeholder_revenues
FROM latest AS l
