-- The ten most profitable films (revenue minus budget, both known).
SELECT
    f.film_id,
    d.title,
    f.release_year,
    f.budget,
    f.revenue,
    f.profit
FROM fact_film f
JOIN dim_film d ON d.film_id = f.film_id
WHERE f.profit IS NOT NULL
ORDER BY f.profit DESC, f.film_id
LIMIT 10
