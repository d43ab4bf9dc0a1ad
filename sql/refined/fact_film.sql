-- fact_film: one row per film of interest that TMDB holds, with the figures of its latest
-- TMDB collection and its title's from the CSV (star.rs fact_film): TMDB's rating is null
-- without votes; a budget or revenue under the money floor is unknown (null), and profit
-- needs both; the runtime is TMDB's unless 0 or missing, then the CSV's; the release year
-- is the CSV's, else that of TMDB's release date; collected_on is the collection's dt.
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
-- Each film's latest TMDB row with its title's figures from the CSV.
films AS (
    SELECT l.*,
           a.primary_title AS imdb_title,
           a.release_year AS imdb_release_year,
           a.runtime_minutes AS imdb_runtime_minutes,
           a.average_rating AS imdb_rating,
           a.num_votes AS imdb_votes
    FROM latest AS l
    LEFT JOIN admitted AS a ON a.title_id = l.imdb_id
)
SELECT
    f.imdb_id AS film_id,
    CAST(year(f.release_date) * 10000 + month(f.release_date) * 100 + day(f.release_date)
         AS integer) AS release_date_key,
    CAST(coalesce(f.imdb_release_year, year(f.release_date)) AS integer) AS release_year,
    f.imdb_rating,
    f.imdb_votes,
    CAST(CASE WHEN f.vote_count > 0 THEN f.vote_average END AS double) AS tmdb_rating,
    f.vote_count AS tmdb_votes,
    f.popularity,
    CAST(CASE WHEN f.budget >= greatest(${money_floor}, 1) THEN f.budget END
         AS bigint) AS budget,
    CAST(CASE WHEN f.revenue >= greatest(${money_floor}, 1) THEN f.revenue END
         AS bigint) AS revenue,
    CAST((CASE WHEN f.revenue >= greatest(${money_floor}, 1) THEN f.revenue END)
         - (CASE WHEN f.budget >= greatest(${money_floor}, 1) THEN f.budget END)
         AS bigint) AS profit,
    CAST(CASE WHEN f.runtime_minutes > 0 THEN f.runtime_minutes
              ELSE f.imdb_runtime_minutes END AS integer) AS runtime_minutes,
    try_cast(f.dt AS date) AS collected_on
FROM films AS f
