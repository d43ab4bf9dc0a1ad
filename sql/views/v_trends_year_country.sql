-- Releases, votes and average ratings per release year and production country (films
-- without one under 'No production country'). No popularity: it is skewed, so the
-- dashboards give its median, and Athena (Trino) has no exact median to put here. The
-- fact holds only the films of interest, so the years are those of the films-of-interest
-- rule. A film counts once in each of its countries, whatever its role towards South
-- America. The average ratings follow the dashboards' rule: films with at least 1,000
-- IMDb votes (a TMDB rating with at least 10 TMDB votes), null over fewer than 3 rated
-- films.
SELECT
    release_year,
    years_back,
    country_code,
    country_name,
    is_south_america,
    COUNT(*) AS releases,
    SUM(imdb_votes) AS imdb_votes,
    COUNT(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) AS imdb_rated_films,
    CASE WHEN COUNT(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) >= 3
        THEN AVG(CASE WHEN imdb_votes >= 1000 THEN imdb_rating END) END AS avg_imdb_rating,
    COUNT(CASE WHEN tmdb_votes >= 10 THEN tmdb_rating END) AS tmdb_rated_films,
    CASE WHEN COUNT(CASE WHEN tmdb_votes >= 10 THEN tmdb_rating END) >= 3
        THEN AVG(CASE WHEN tmdb_votes >= 10 THEN tmdb_rating END) END AS avg_tmdb_rating
FROM v_film_country
GROUP BY release_year, years_back, country_code, country_name, is_south_america
