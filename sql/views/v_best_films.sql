-- The best films by the project's definition: an IMDb rating of at least 7.0 and at
-- least 1,000 IMDb votes, both conditions (the dashboards' defaults; both let the reader
-- change either threshold).
SELECT
    f.film_id,
    d.title,
    f.release_year,
    f.imdb_rating,
    f.imdb_votes,
    f.tmdb_rating,
    f.tmdb_votes,
    f.popularity
FROM fact_film f
JOIN dim_film d ON d.film_id = f.film_id
WHERE f.imdb_votes >= 1000
  AND f.imdb_rating >= 7.0
