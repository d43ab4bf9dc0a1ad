-- Releases, votes, average ratings and average TMDB popularity per release year and
-- production country (films without one under 'No production country'). The fact holds
-- only the films of interest, so the years are those of the films-of-interest rule. A
-- film counts once in each of its countries, whatever its role towards South America.
SELECT
    release_year,
    years_back,
    country_code,
    country_name,
    is_south_america,
    COUNT(*) AS releases,
    SUM(imdb_votes) AS imdb_votes,
    AVG(imdb_rating) AS avg_imdb_rating,
    AVG(tmdb_rating) AS avg_tmdb_rating,
    AVG(popularity) AS avg_popularity
FROM v_film_country
GROUP BY release_year, years_back, country_code, country_name, is_south_america
