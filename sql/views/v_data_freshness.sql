-- Where the figures come from, in one row: the date of the IMDb files (the older of the
-- newest Raw movies.csv and series.csv uploads, from data_sources), the TMDB collections
-- the films were read from, how many films, and the age past which the dashboards warn
-- that the IMDb files are stale (the age the ingestion and trusted runs warn at).
WITH imdb AS (
    SELECT
        1 AS one,
        MIN(file_date) AS imdb_files_date,
        MAX(stale_after_days) AS stale_after_days
    FROM data_sources
),
tmdb AS (
    SELECT
        1 AS one,
        MIN(collected_on) AS tmdb_collected_from,
        MAX(collected_on) AS tmdb_collected_on,
        COUNT(*) AS films
    FROM fact_film
)
SELECT
    i.imdb_files_date,
    i.stale_after_days,
    t.tmdb_collected_from,
    t.tmdb_collected_on,
    t.films
FROM imdb i
JOIN tmdb t ON t.one = i.one
