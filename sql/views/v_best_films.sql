-- The best films: IMDb rating, among films with at least 1,000 IMDb votes (the
-- minimum-votes rule; the dashboard lets the reader raise or lower it).
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
  AND f.imdb_rating IS NOT NULL
