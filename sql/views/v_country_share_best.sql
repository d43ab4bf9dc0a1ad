-- Each production country's share of the best films (a film with two countries counts
-- for both, so shares can sum past 1). The total joins on a constant key rather than
-- a CROSS JOIN: Polars SQL miscounts COUNT(*) over a cross join with an aggregate.
WITH per_country AS (
    SELECT
        1 AS one,
        c.country_code,
        c.country_name,
        c.continent,
        c.is_south_america,
        COUNT(DISTINCT v.film_id) AS best_films
    FROM v_best_films v
    JOIN bridge_film_country b ON b.film_id = v.film_id
    JOIN dim_country c ON c.country_code = b.country_code
    GROUP BY c.country_code, c.country_name, c.continent, c.is_south_america
),
total AS (
    SELECT 1 AS one, COUNT(*) AS all_best FROM v_best_films
)
SELECT
    p.country_code,
    p.country_name,
    p.continent,
    p.is_south_america,
    p.best_films,
    CAST(p.best_films AS DOUBLE) / CAST(t.all_best AS DOUBLE) AS share
FROM per_country p
JOIN total t ON t.one = p.one
