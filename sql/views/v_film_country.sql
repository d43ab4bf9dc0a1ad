-- One row per film and production country: the base of every chart the country and region
-- filters narrow. A film TMDB gives no production country keeps one row, with no country
-- code, named 'No production country'. country_order numbers a film's rows (1, 2, ... by
-- country code), so a chart can take one value per film from its rows. region is the
-- film's, the same on each of its rows (rule R11, dim_film.south_america_role): 'South
-- America' (a South American film), 'Co-production with South America', 'Rest of the
-- world', or 'No production country' (neither a South American origin nor any production
-- country), so a region holds each film once and a co-production is never counted as
-- South American; is_south_america and country_region are the row's country's. film_label
-- names a film uniquely (title, year, IMDb id); years_back counts release years back from
-- the newest in the data (1 for the newest, 2 for the year before): the "last N years"
-- filters keep years_back <= N, so a lake whose newest films are a few years old still
-- shows its last N years; collected_on is the TMDB collection the film's figures come
-- from, and in_newest_collection is 1 when that is the newest one, so a popularity
-- ranking compares values of one date; budget_band sorts films by budget (null when the
-- budget is unknown). The constant key joins the newest year on: Polars SQL has no empty
-- OVER ().
WITH newest AS (
    SELECT
        1 AS one,
        MAX(release_year) AS newest_year,
        MAX(collected_on) AS newest_collection
    FROM fact_film
),
film AS (
    SELECT *, 1 AS one FROM fact_film
)
SELECT
    f.film_id,
    d.title,
    COALESCE(d.title, f.film_id) || ' ('
        || COALESCE(CAST(f.release_year AS VARCHAR), 'year unknown') || ', '
        || f.film_id || ')' AS film_label,
    f.release_year,
    n.newest_year - f.release_year + 1 AS years_back,
    c.country_code,
    ROW_NUMBER() OVER (PARTITION BY f.film_id ORDER BY c.country_code) AS country_order,
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
    f.collected_on,
    CASE WHEN f.collected_on = n.newest_collection THEN 1 ELSE 0 END AS in_newest_collection,
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
FROM film f
JOIN newest n ON n.one = f.one
JOIN dim_film d ON d.film_id = f.film_id
LEFT JOIN bridge_film_country b ON b.film_id = f.film_id
LEFT JOIN dim_country c ON c.country_code = b.country_code
