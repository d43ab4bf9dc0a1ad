-- Investment against rating: films by budget band, with their average ratings.
WITH banded AS (
    SELECT
        CASE
            WHEN budget < 1000000 THEN 1
            WHEN budget < 10000000 THEN 2
            WHEN budget < 50000000 THEN 3
            ELSE 4
        END AS band_order,
        CASE
            WHEN budget < 1000000 THEN 'under 1M'
            WHEN budget < 10000000 THEN '1M to 10M'
            WHEN budget < 50000000 THEN '10M to 50M'
            ELSE '50M and more'
        END AS budget_band,
        budget,
        imdb_rating,
        tmdb_rating
    FROM fact_film
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
