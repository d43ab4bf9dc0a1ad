-- South America against the rest of the world, per release year: a film counts once in
-- each region it has a production country in (a Brazilian-French film in both), and
-- films without a production country in neither.
WITH film_region AS (
    SELECT DISTINCT
        film_id,
        release_year,
        release_year_start,
        region,
        imdb_rating,
        imdb_votes,
        popularity
    FROM v_film_country
    WHERE region <> 'No production country'
)
SELECT
    release_year,
    release_year_start,
    region,
    COUNT(*) AS films,
    SUM(imdb_votes) AS imdb_votes,
    AVG(imdb_rating) AS avg_imdb_rating,
    AVG(popularity) AS avg_popularity
FROM film_region
GROUP BY release_year, release_year_start, region
