-- One row per film and production country: the base of every per-country chart.
SELECT
    f.film_id,
    d.title,
    f.release_year,
    c.country_code,
    c.country_name,
    c.continent,
    c.is_south_america,
    f.imdb_rating,
    f.imdb_votes,
    f.tmdb_rating,
    f.tmdb_votes,
    f.popularity,
    f.budget,
    f.revenue,
    f.profit
FROM fact_film f
JOIN dim_film d ON d.film_id = f.film_id
JOIN bridge_film_country b ON b.film_id = f.film_id
JOIN dim_country c ON c.country_code = b.country_code
