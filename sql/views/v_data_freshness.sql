-- Where the figures come from, in one row: the date of the IMDb files (the older of the
-- newest Raw movies.csv and series.csv uploads, from data_sources), the TMDB collections
-- the films were read from, how many films, and the age past which the dashboards warn
-- that the IMDb files are stale (the age the ingestion and trusted runs warn at). The
-- newest release year of the films is where "the last N years" count back from; it is
-- partial when the IMDb files are from that year or before it (films are still being
-- released and voted on), and newest_year_note says so in words. population_note and
-- set_aside_note state, from Refined's film_counts, the films-of-interest rule, how many
-- films of interest the IMDb files hold and how many have TMDB details, and what the
-- money rules read as unknown.
WITH imdb AS (
    SELECT
        1 AS one,
        MIN(file_date) AS imdb_files_date,
        MAX(stale_after_days) AS stale_after_days
    FROM data_sources
),
tmdb AS (
    SELECT
        1 AS one,
        MIN(collected_on) AS tmdb_collected_from,
        MAX(collected_on) AS tmdb_collected_on,
        COUNT(*) AS films,
        MAX(release_year) AS newest_release_year
    FROM fact_film
),
counts AS (
    SELECT
        1 AS one,
        MAX(CASE WHEN count_name = 'films_of_interest_imdb' THEN films END) AS films_of_interest,
        MAX(CASE WHEN count_name = 'films_of_interest_imdb' THEN what END) AS rule,
        MAX(CASE WHEN count_name = 'placeholder_budgets' THEN films END) AS placeholder_budgets,
        MAX(CASE WHEN count_name = 'placeholder_budgets' THEN what END) AS budgets_what,
        MAX(CASE WHEN count_name = 'placeholder_revenues' THEN films END) AS placeholder_revenues,
        MAX(CASE WHEN count_name = 'placeholder_revenues' THEN what END) AS revenues_what,
        SUM(CASE WHEN count_name IN ('impossible_budget', 'impossible_revenue') THEN films
            ELSE 0 END) AS impossible_money
    FROM film_counts
)
SELECT
    i.imdb_files_date,
    i.stale_after_days,
    t.tmdb_collected_from,
    t.tmdb_collected_on,
    t.films,
    t.newest_release_year,
    i.imdb_files_date > DATE(CAST(t.newest_release_year AS VARCHAR) || '-12-31') AS newest_year_complete,
    CASE
        WHEN t.newest_release_year IS NULL THEN 'No film has a release year'
        WHEN i.imdb_files_date > DATE(CAST(t.newest_release_year AS VARCHAR) || '-12-31')
            THEN 'Release years up to ' || CAST(t.newest_release_year AS VARCHAR)
                || ', each complete in the IMDb files of ' || CAST(i.imdb_files_date AS VARCHAR)
        ELSE CAST(t.newest_release_year AS VARCHAR) || ' is partial: the IMDb files are from '
            || CAST(i.imdb_files_date AS VARCHAR)
    END AS newest_year_note,
    c.films_of_interest,
    c.placeholder_budgets,
    c.placeholder_revenues,
    c.impossible_money,
    'Population (' || c.rule || '): ' || CAST(c.films_of_interest AS VARCHAR)
        || ' films in the IMDb files, ' || CAST(t.films AS VARCHAR)
        || ' with TMDB details' AS population_note,
    'Money is nominal, as TMDB reports it; ' || c.budgets_what || ': '
        || CAST(c.placeholder_budgets AS VARCHAR) || '; ' || c.revenues_what || ': '
        || CAST(c.placeholder_revenues AS VARCHAR)
        || '; impossible budgets or revenues, read as unknown: '
        || CAST(c.impossible_money AS VARCHAR) AS set_aside_note
FROM imdb i
JOIN tmdb t ON t.one = i.one
JOIN counts c ON c.one = i.one
