-- One row per film and production country: the base of every chart the country and
-- region filters narrow. A film TMDB gives no production country keeps one row, with no
-- country code, named 'No production country'. region is the film's, the same on each of
-- its rows (rule R11, dim_film.south_america_role): 'South America' (a South American
-- film), 'Co-production with South America', 'Rest of the world', or 'No production
-- country' (neither a South American origin nor any production country), so a region
-- holds each film once and a co-production is never counted as South American;
-- is_south_america and country_region are the row's country's. film_label names
-- a film uniquely (title, year, IMDb id); release_year_start (1 January of the release
-- year) is the date the "last N years" filters read; budget_band sorts films by budget
-- (null when the budget is unknown).
SELECT
    f.film_id,
    d.title,
    COALESCE(d.title, f.film_id) || ' ('
        || COALESCE(CAST(f.release_year AS VARCHAR), 'year unknown') || ', '
        || f.film_id || ')' AS film_label,
    f.release_year,
    DATE(CAST(f.release_year AS VARCHAR) || '-01-01') AS release_year_start,
    c.country_code,
    COALESCE(c.country_name, 'No production country') AS country_name,
    c.continent,
    COALESCE(c.is_south_america, FALSE) AS is_south_america,
    d.south_america_role,
    CASE
        WHEN d.south_america_role = 'South American' THEN 'South America'
        WHEN d.south_america_role = 'Co-production with South America'
            THEN 'Co-production with South America'
        WHEN c.country_code IS NULL THEN 'No production country'
        ELSE 'Rest of the world'
    END AS region,
    CASE
        WHEN c.country_code IS NULL THEN 'No production country'
        WHEN c.is_south_america THEN 'South America'
        ELSE 'Rest of the world'
    END AS country_region,
    f.imdb_rating,
    f.imdb_votes,
    f.tmdb_rating,
    f.tmdb_votes,
    f.popularity,
    f.budget,
    f.revenue,
    f.profit,
    CASE
        WHEN f.budget IS NULL THEN NULL
        WHEN f.budget < 1000000 THEN 1
        WHEN f.budget < 10000000 THEN 2
        WHEN f.budget < 50000000 THEN 3
        ELSE 4
    END AS band_order,
    CASE
        WHEN f.budget IS NULL THEN NULL
        WHEN f.budget < 1000000 THEN 'under 1M'
        WHEN f.budget < 10000000 THEN '1M to 10M'
        WHEN f.budget < 50000000 THEN '10M to 50M'
        ELSE '50M and more'
    END AS budget_band
FROM fact_film f
JOIN dim_film d ON d.film_id = f.film_id
LEFT JOIN bridge_film_country b ON b.film_id = f.film_id
LEFT JOIN dim_country c ON c.country_code = b.country_code
