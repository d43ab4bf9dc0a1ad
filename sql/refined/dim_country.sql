-- dim_country: the production countries of the films of fact_film, from their latest TMDB
-- collection (star.rs dim_country), each ISO 3166-1 code once with its name, its continent
-- (geo.rs, inlined: every code and the former countries TMDB names; others 'Unknown') and
-- whether it is in South America (geo.rs SOUTH_AMERICA, 14 codes).
WITH
-- One row per title of Trusted movies: the title's attributes repeat on each of its
-- artist rows (where they would not agree, the first row in this order is taken).
titles AS (
    SELECT title_id, primary_title, release_year, genres, runtime_minutes, average_rating,
           num_votes
    FROM (
        SELECT m.title_id, m.primary_title, m.release_year, m.genres, m.runtime_minutes,
               m.average_rating, m.num_votes,
               row_number() OVER (
                   PARTITION BY m.title_id
                   ORDER BY m.primary_title, m.release_year, m.runtime_minutes,
                            m.average_rating, m.num_votes, array_join(m.genres, ',')
               ) AS pick
        FROM ${trusted}.movies AS m
        WHERE m.title_id IS NOT NULL
    ) AS ranked
    WHERE pick = 1
),
-- The films of interest (rules::Selection::admits): the release year in range (a title
-- without one only when no range is set), and any of its genres one asked for, trimmed
-- and lowercased (when none is asked for, every genre).
admitted AS (
    SELECT t.*
    FROM titles AS t
    WHERE (CASE
               WHEN t.release_year IS NULL THEN ${min_year} = 0 AND ${max_year} = 9999
               ELSE (${min_year} = 0 OR t.release_year >= ${min_year})
                    AND (${max_year} = 9999 OR t.release_year <= ${max_year})
           END)
      AND (cardinality(CAST(ARRAY[${genres}] AS array(varchar))) = 0
           OR cardinality(filter(t.genres, g -> contains(
                  CAST(ARRAY[${genres}] AS array(varchar)), lower(trim(g))))) > 0)
),
-- Every TMDB row (every collection, dt) of the films of interest.
tmdb AS (
    SELECT tm.*
    FROM ${trusted}.tmdb_movies AS tm
    JOIN admitted AS a ON a.title_id = tm.imdb_id
),
-- Each film's row from its latest collection (the greatest dt); where that collection
-- holds the film under two TMDB ids, the row of the first Raw file, then the smaller id.
latest AS (
    SELECT *
    FROM (
        SELECT tm.*,
               row_number() OVER (
                   PARTITION BY tm.imdb_id
                   ORDER BY tm.dt DESC, tm.source_file, tm.tmdb_id
               ) AS pick
        FROM tmdb AS tm
    ) AS ranked
    WHERE pick = 1
),
-- The films' production countries (from their latest collection): each code once,
-- named as where it first appears (the newest collection first, then the Raw files').
countries AS (
    SELECT code AS country_code, name AS country_name
    FROM (
        SELECT c.iso_3166_1 AS code, c.name,
               row_number() OVER (
                   PARTITION BY c.iso_3166_1
                   ORDER BY l.dt DESC, l.source_file, l.tmdb_id, c.name
               ) AS pick
        FROM latest AS l
        CROSS JOIN UNNEST(l.production_countries) AS c(iso_3166_1, name)
        WHERE c.iso_3166_1 IS NOT NULL
    ) AS ranked
    WHERE pick = 1
)
SELECT
    c.country_code,
    c.country_name,
    -- Cast: Trino types a string literal as varchar(n), which CTAS would register.
    CAST(CASE
        WHEN c.country_code IN (
            'AR', 'BO', 'BR', 'CL', 'CO', 'EC', 'FK', 'GF', 'GY', 'PE', 'PY', 'SR', 'UY',
            'VE'
        ) THEN 'South America'
        WHEN c.country_code IN (
            'US', 'CA', 'MX', 'GT', 'BZ', 'SV', 'HN', 'NI', 'CR', 'PA', 'CU', 'DO', 'HT',
            'JM', 'PR', 'BS', 'BB', 'TT', 'GL', 'AG', 'AI', 'AW', 'BL', 'BM', 'BQ', 'CW',
            'DM', 'GD', 'GP', 'KN', 'KY', 'LC', 'MF', 'MQ', 'MS', 'PM', 'SX', 'TC', 'VC',
            'VG', 'VI', 'AN'
        ) THEN 'North America'
        WHEN c.country_code IN (
            'GB', 'FR', 'DE', 'IT', 'ES', 'PT', 'NL', 'BE', 'LU', 'IE', 'DK', 'SE', 'NO',
            'FI', 'IS', 'AT', 'CH', 'PL', 'CZ', 'SK', 'HU', 'RO', 'BG', 'GR', 'HR', 'SI',
            'RS', 'BA', 'ME', 'MK', 'AL', 'EE', 'LV', 'LT', 'UA', 'BY', 'MD', 'RU', 'MT',
            'CY', 'XK', 'SU', 'YU', 'CS', 'XC', 'XG', 'DD', 'AD', 'AX', 'FO', 'GG', 'GI',
            'IM', 'JE', 'LI', 'MC', 'SJ', 'SM', 'VA'
        ) THEN 'Europe'
        WHEN c.country_code IN (
            'CN', 'JP', 'KR', 'KP', 'IN', 'PK', 'BD', 'LK', 'NP', 'ID', 'MY', 'SG', 'TH',
            'VN', 'PH', 'KH', 'LA', 'MM', 'TW', 'HK', 'MO', 'MN', 'KZ', 'UZ', 'KG', 'TJ',
            'TM', 'AF', 'IR', 'IQ', 'SY', 'LB', 'JO', 'IL', 'PS', 'SA', 'AE', 'QA', 'KW',
            'BH', 'OM', 'YE', 'TR', 'GE', 'AM', 'AZ', 'BT', 'BN', 'MV', 'TL'
        ) THEN 'Asia'
        WHEN c.country_code IN (
            'ZA', 'EG', 'MA', 'DZ', 'TN', 'LY', 'NG', 'GH', 'SN', 'CI', 'CM', 'KE', 'ET',
            'TZ', 'UG', 'RW', 'CD', 'CG', 'AO', 'MZ', 'ZW', 'ZM', 'NA', 'BW', 'ML', 'BF',
            'NE', 'TD', 'SD', 'SO', 'MG', 'MU', 'BJ', 'TG', 'GN', 'SL', 'LR', 'GA', 'MR',
            'BI', 'CF', 'CV', 'DJ', 'EH', 'ER', 'GM', 'GQ', 'GW', 'IO', 'KM', 'LS', 'MW',
            'RE', 'SC', 'SH', 'SS', 'ST', 'SZ', 'YT'
        ) THEN 'Africa'
        WHEN c.country_code IN (
            'AU', 'NZ', 'FJ', 'PG', 'WS', 'TO', 'AS', 'CC', 'CK', 'CX', 'FM', 'GU', 'KI',
            'MH', 'MP', 'NC', 'NF', 'NR', 'NU', 'PF', 'PN', 'PW', 'SB', 'TK', 'TV', 'UM',
            'VU', 'WF'
        ) THEN 'Oceania'
        WHEN c.country_code IN (
            'AQ', 'BV', 'GS', 'HM', 'TF'
        ) THEN 'Antarctica'
        ELSE 'Unknown'
    END AS varchar) AS continent,
    c.country_code IN (
        'AR', 'BO', 'BR', 'CL', 'CO', 'EC', 'FK', 'GF', 'GY', 'PE', 'PY', 'SR', 'UY', 'VE'
    ) AS is_south_america
FROM countries AS c
