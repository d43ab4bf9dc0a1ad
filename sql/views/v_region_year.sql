-- South America against the rest of the world, per release year: each film counts once,
-- in its region (v_film_country: South America, co-productions with South America, the
-- rest of the world); films with no production country and no South American origin in
-- none. No popularity, as in v_trends_year_country. The average rating follows the
-- dashboards' rule: films with at least 1,000 IMDb votes, null over fewer than 3 of them.
WITH film_region AS (
    SELECT DISTINCT
        film_id,
        release_year,
        years_back,
        region,
        imdb_rating,
        imdb_votes
    FROM v_film_country
    WHERE region <> 'No production country'
)
SELECT
    release_year,
    years_back,
    region,
    COUNT(*) AS films,
    SUM(imdb_votes) AS imdb_votes,
    COUNT(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) AS imdb_rated_films,
    CASE WHEN COUNT(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) >= 3
        THEN AVG(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) END AS avg_imdb_rating
FROM film_region
GROUP BY release_year, years_back, region
