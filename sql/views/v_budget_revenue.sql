-- Budget against revenue, one row per film and production country, for films where TMDB
-- knows both (TMDB writes 0 for unknown; refined turns 0 into null). The Financial
-- totals read it, so budget, revenue and profit cover the same films.
SELECT
    film_id,
    title,
    film_label,
    release_year,
    years_back,
    country_code,
    country_name,
    is_south_america,
    region,
    budget,
    revenue,
    profit,
    imdb_rating
FROM v_film_country
WHERE budget IS NOT NULL
  AND revenue IS NOT NULL
