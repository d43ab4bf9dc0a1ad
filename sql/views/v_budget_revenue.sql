-- Budget against revenue, for films where TMDB knows both (TMDB writes 0 for unknown;
-- refined turns 0 into null).
SELECT
    film_id,
    title,
    release_year,
    country_code,
    country_name,
    is_south_america,
    budget,
    revenue,
    profit,
    imdb_rating
FROM v_film_country
WHERE budget IS NOT NULL
  AND revenue IS NOT NULL
