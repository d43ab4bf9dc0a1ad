-- Investment against rating: films with a known budget by budget band (the bands of
-- v_film_country), with their average ratings; each film counted once.
WITH banded AS (
    SELECT DISTINCT
        film_id,
        band_order,
        budget_band,
        budget,
        imdb_rating,
        tmdb_rating
    FROM v_film_country
    WHERE budget IS NOT NULL
)
SELECT
    band_order,
    budget_band,
    COUNT(*) AS films,
    SUM(budget) AS total_budget,
    AVG(imdb_rating) AS avg_imdb_rating,
    AVG(tmdb_rating) AS avg_tmdb_rating
FROM banded
GROUP BY band_order, budget_band
