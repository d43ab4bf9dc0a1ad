-- The cast of each film of interest, from the IMDb files' artist rows: one row per film
-- and artist, with the film's label (v_film_country's), the artist's category (actor,
-- actress, ...) and the character played. The files list the principal cast only; they
-- name no director. A film's detail in both dashboards reads it.
WITH labels AS (
    SELECT DISTINCT film_id, film_label FROM v_film_country
)
SELECT
    b.film_id,
    l.film_label,
    a.artist_name,
    b.artist_category,
    b.character_name
FROM bridge_film_artist b
JOIN dim_artist a ON a.artist_key = b.artist_key
JOIN labels l ON l.film_id = b.film_id
