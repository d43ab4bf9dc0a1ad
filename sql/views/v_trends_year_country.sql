-- Releases, votes and average ratings per release year and country, from 2000 on.
SELECT
    release_year,
    country_code,
    country_name,
    is_south_america,
    COUNT(*) AS releases,
    SUM(imdb_votes) AS imdb_votes,
    AVG(imdb_rating) AS avg_imdb_rating,
    AVG(tmdb_rating) AS avg_tmdb_rating,
    AVG(popularity) AS avg_popularity
FROM v_film_country
WHERE release_year >= 2000
GROUP BY release_year, country_code, country_name, is_south_america
