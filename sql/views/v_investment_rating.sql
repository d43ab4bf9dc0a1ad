-- Investment against rating: films with a known budget and at least 1,000 IMDb votes
-- (the dashboards' default vote floor, the one of every average rating), by budget band
-- (the bands of v_film_country), each film counted once. A TMDB rating counts with at
-- least 10 TMDB votes; an average over fewer than 3 rated films is null, and the rated
-- films are counted beside it.
WITH banded AS (
    SELECT DISTINCT
        film_id,
        band_order,
        budget_band,
        budget,
        imdb_rating,
        CASE WHEN tmdb_votes >= 10 THEN tmdb_rating END AS tmdb_rating
    FROM v_film_country
    WHERE budget IS NOT NULL
      AND imdb_votes >= 1000
)
SELECT
    band_order,
    budget_band,
    COUNT(*) AS films,
    SUM(budget) AS total_budget,
    COUNT(imdb_rating) AS imdb_rated_films,
    CASE WHEN COUNT(imdb_rating) >= 3 THEN AVG(imdb_rating) END AS avg_imdb_rating,
    COUNT(tmdb_rating) AS tmdb_rated_films,
    CASE WHEN COUNT(tmdb_rating) >= 3 THEN AVG(tmdb_rating) END AS avg_tmdb_rating
FROM banded
GROUP BY band_order, budget_band
