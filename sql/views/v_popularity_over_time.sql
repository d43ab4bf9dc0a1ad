-- TMDB popularity and votes over the collection dates: one row per film, production
-- country and collection (fact_film_snapshot), with the film's country and region as
-- v_film_country gives them (a film without a production country keeps one row, under
-- 'No production country'), so a chart of the figures over time follows the country,
-- region, release-year and minimum-IMDb-votes filters. A film with two countries has
-- a row under each: count films once (DISTINCT film_id) when the region is all.
-- tmdb_rating is null without TMDB votes. No titles (a row per collection repeats
-- them): v_film_country has each film's title and film_label by film_id.
SELECT
    s.film_id,
    fc.release_year,
    fc.years_back,
    fc.country_code,
    fc.country_name,
    fc.is_south_america,
    fc.region,
    fc.imdb_votes,
    s.collected_on,
    s.popularity,
    s.tmdb_votes,
    s.tmdb_rating
FROM fact_film_snapshot s
JOIN v_film_country fc ON fc.film_id = s.film_id
