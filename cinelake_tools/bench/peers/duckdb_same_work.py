"""DuckDB doing the same work as cinelake's Trusted and Refined jobs, for the benchmark.

    .venv-bench/bin/python -m cinelake_tools.bench.peers.duckdb_same_work LAKE OUT \
        [--threads N] [--stage trusted|refined|all]

Reads the Raw CSV and TMDB JSON of a lake made by cinelake and writes, as zstd Parquet
under OUT, the Trusted tables (movies, series, tmdb_movies with its `dt` as a column) and
the Refined star schema, by the rules of docs/data-model.md. `same_rows` (beside this)
checks that the rows are cinelake's.
"""

from pathlib import Path

import duckdb

from cinelake_tools.bench.peers import rules

SQL_TYPE = {"text": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT", "float64": "DOUBLE"}

TMDB_COLUMNS = {
    "id": "BIGINT",
    "imdb_id": "VARCHAR",
    "title": "VARCHAR",
    "original_title": "VARCHAR",
    "original_language": "VARCHAR",
    "overview": "VARCHAR",
    "tagline": "VARCHAR",
    "status": "VARCHAR",
    "homepage": "VARCHAR",
    "release_date": "VARCHAR",
    "runtime": "BIGINT",
    "budget": "BIGINT",
    "revenue": "BIGINT",
    "popularity": "DOUBLE",
    "vote_average": "DOUBLE",
    "vote_count": "BIGINT",
    "adult": "BOOLEAN",
    "video": "BOOLEAN",
    "poster_path": "VARCHAR",
    "backdrop_path": "VARCHAR",
    "belongs_to_collection": "STRUCT(id BIGINT, name VARCHAR)",
    "genres": "STRUCT(id BIGINT, name VARCHAR)[]",
    # Movie details carry it today; older records do not (null).
    "origin_country": "VARCHAR[]",
    "production_companies": "STRUCT(id BIGINT, name VARCHAR, origin_country VARCHAR, logo_path VARCHAR)[]",
    "production_countries": "STRUCT(iso_3166_1 VARCHAR, name VARCHAR)[]",
    "spoken_languages": "STRUCT(iso_639_1 VARCHAR, english_name VARCHAR, name VARCHAR)[]",
}


def q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def copy(con, select: str, path: Path):
    return con.execute(f"COPY ({select}) TO {q(str(path))} (FORMAT PARQUET, COMPRESSION ZSTD)").fetchone()[0]


def trusted_csv(con, lake: Path, out: Path, kind: str):
    cols = rules.CSV_COLUMNS[kind]
    src = rules.latest_csv(lake, kind)
    # One column per line (no quoting, a delimiter that cannot occur): the fields are
    # split here, so a line with the wrong field count is seen and refused, not padded.
    con.execute(f"""CREATE OR REPLACE TEMP VIEW raw_{kind} AS
      SELECT string_split(regexp_replace(line, '\\r$', ''), '|') AS f
      FROM read_csv({q(str(src))}, columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='',
                    escape='', header=true, auto_detect=false, strict_mode=false)""")
    values, checks = [], [f"len(f) = {len(cols)}"]
    for i, (_, name, kind_) in enumerate(cols, start=1):
        v = f"(CASE WHEN f[{i}] = '' OR f[{i}] = '\\N' THEN NULL ELSE f[{i}] END)"
        if kind_ == "list":
            values.append(f"string_split({v}, ',') AS {name}")
        elif kind_ == "text":
            values.append(f"{v} AS {name}")
        else:
            t = SQL_TYPE[kind_]
            values.append(f"TRY_CAST({v} AS {t}) AS {name}")
            if kind_ == "float64":
                ok = f"regexp_full_match({v}, '{rules.DECIMAL}') AND coalesce(isfinite(TRY_CAST({v} AS DOUBLE)), false)"
            else:
                ok = f"regexp_full_match({v}, '{rules.WHOLE}') AND TRY_CAST({v} AS {t}) IS NOT NULL"
            checks.append(f"({v} IS NULL OR ({ok}))")
    written = copy(
        con, f"SELECT {', '.join(values)} FROM raw_{kind} WHERE {' AND '.join(checks)}", out / f"{kind}.parquet"
    )
    total = rules.data_lines(src)
    rules.check_share(kind, total - written, total)


def nullif_empty(c: str) -> str:
    return f"NULLIF({c}, '') AS {c}"


def trusted_tmdb(con, lake: Path, out: Path):
    columns = "{" + ", ".join(f"{q(k)}: {q(v)}" for k, v in TMDB_COLUMNS.items()) + "}"
    parts = []
    for dt, files in rules.tmdb_folders(lake).items():
        names = "[" + ", ".join(q(str(f)) for f in files) + "]"
        prefix = str(lake) + "/"
        parts.append(f"""
          SELECT *, {q(dt)} AS dt, replace(filename, {q(prefix)}, '') AS source_file,
                 row_number() OVER () AS rn
          FROM read_json({names}, format='array', columns={columns}, filename=true)""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_tmdb AS {' UNION ALL '.join(parts)}")
    for dt, total, refused in con.execute(
        "SELECT dt, count(*), count_if(NOT coalesce(id > 0, false)) FROM raw_tmdb GROUP BY dt"
    ).fetchall():
        rules.check_share(f"tmdb_movies dt={dt}", refused, total)
    text = ["imdb_id", "title", "original_title", "original_language", "overview", "tagline", "status", "homepage"]
    copy(
        con,
        f"""
      SELECT id AS tmdb_id, {", ".join(nullif_empty(c) for c in text)},
        try_strptime(NULLIF(release_date, ''), '%Y-%m-%d')::DATE AS release_date,
        runtime::INTEGER AS runtime_minutes, budget, revenue, popularity, vote_average,
        vote_count, adult, video, {nullif_empty("poster_path")}, {nullif_empty("backdrop_path")},
        belongs_to_collection.id AS collection_id, belongs_to_collection.name AS collection_name,
        genres, origin_country, production_companies, production_countries, spoken_languages,
        source_file, dt
      FROM raw_tmdb
      WHERE id > 0
      QUALIFY row_number() OVER (PARTITION BY dt, id ORDER BY rn DESC) = 1
      ORDER BY dt, rn""",
        out / "tmdb_movies.parquet",
    )
    con.execute("DROP TABLE raw_tmdb")


def possible(c: str) -> str:
    """`c` when it can be true, else null (R12), compared as a double as star.rs does."""
    low, high = rules.POSSIBLE[c]
    ok = f"{c}::DOUBLE >= {low}" + ("" if high is None else f" AND {c}::DOUBLE <= {high}")
    return f"CASE WHEN {ok} THEN {c} END"


def roles(con):
    """The temp table `roles`: each film's role towards South America and its basis (R11),
    by rules.role over the films' lists."""
    rows = con.execute("""SELECT film_id, origin_country,
        list_transform(production_countries, lambda c: c.iso_3166_1),
        list_transform(production_companies, lambda c: c.origin_country), original_language
      FROM films""").fetchall()
    decided = [(f, *rules.role(o, c, k, lang)) for f, o, c, k, lang in rows]
    ids, role, basis = ([r[i] for r in decided] for i in range(3))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE roles AS
      SELECT unnest($1::VARCHAR[]) AS film_id, unnest($2::VARCHAR[]) AS south_america_role,
             unnest($3::VARCHAR[]) AS south_america_role_basis""",
        [ids, role, basis],
    )


def refined(con, out: Path):
    genres, min_year, max_year = rules.selection()
    floor = rules.money_floor()
    year_ok = []
    if min_year is not None:
        year_ok.append(f"release_year >= {min_year}")
    if max_year is not None:
        year_ok.append(f"release_year <= {max_year}")
    if not year_ok:
        year_ok = ["true"]
    wanted = "[" + ", ".join(q(g.lower()) for g in genres) + "]"
    genre_ok = (
        f"len(list_intersect(list_transform(genres, lambda g: lower(trim(g))), {wanted})) > 0" if genres else "true"
    )
    p = lambda name: q(str(out / f"{name}.parquet"))  # noqa: E731
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW movies AS SELECT * FROM read_parquet({p('movies')}, file_row_number=true)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW tmdb AS SELECT * FROM read_parquet({p('tmdb_movies')}, file_row_number=true)"
    )
    con.execute("""CREATE OR REPLACE TEMP TABLE titles AS
      SELECT title_id AS film_id,
        first(primary_title ORDER BY file_row_number) AS imdb_title,
        first(release_year ORDER BY file_row_number) AS imdb_release_year,
        first(runtime_minutes ORDER BY file_row_number) AS imdb_runtime_minutes,
        first(average_rating ORDER BY file_row_number) AS imdb_rating,
        first(num_votes ORDER BY file_row_number) AS imdb_votes,
        first(genres ORDER BY file_row_number) AS genres
      FROM movies WHERE title_id IS NOT NULL GROUP BY title_id""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE kept AS SELECT film_id FROM titles
      WHERE coalesce({" AND ".join(y.replace("release_year", "imdb_release_year") for y in year_ok)}, false)
        AND coalesce({genre_ok}, false)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE tmdb_kept AS
      SELECT t.* FROM tmdb t SEMI JOIN kept k ON t.imdb_id = k.film_id""")
    con.execute("""CREATE OR REPLACE TEMP TABLE latest AS
      SELECT imdb_id AS film_id, * FROM tmdb_kept
      QUALIFY row_number() OVER (PARTITION BY imdb_id ORDER BY dt DESC, file_row_number) = 1""")
    con.execute("""CREATE OR REPLACE TEMP TABLE films AS
      SELECT l.*, t.imdb_title, t.imdb_release_year, t.imdb_runtime_minutes, t.imdb_rating, t.imdb_votes
      FROM latest l LEFT JOIN titles t USING (film_id)""")

    def key(d):
        return f"(year({d}) * 10000 + month({d}) * 100 + day({d}))::INTEGER"

    def money(c):
        # Above the floor only: 0, a placeholder up to the floor itself, or below 0 is unknown.
        return f"CASE WHEN {c} > {max(floor, 0)} THEN {c} END"

    rating = f"CASE WHEN vote_count > 0 THEN {possible('vote_average')} END"
    release_year = "coalesce(imdb_release_year, year(release_date))::INTEGER"
    roles(con)
    copy(
        con,
        f"""SELECT film_id, tmdb_id, title, original_title, imdb_title,
        original_language AS original_language_code, release_date, {release_year} AS release_year,
        status, collection_name, south_america_role, south_america_role_basis
      FROM films LEFT JOIN roles USING (film_id) ORDER BY film_id""",
        out / "dim_film.parquet",
    )
    con.execute(f"""CREATE OR REPLACE TEMP TABLE fact_film AS SELECT film_id,
        {key("release_date")} AS release_date_key, {release_year} AS release_year,
        {possible("imdb_rating")} AS imdb_rating, {possible("imdb_votes")} AS imdb_votes,
        {rating} AS tmdb_rating, {possible("vote_count")} AS tmdb_votes,
        {possible("popularity")} AS popularity,
        {money("budget")} AS budget, {money("revenue")} AS revenue,
        {money("revenue")} - {money("budget")} AS profit,
        CASE WHEN runtime_minutes > 0 THEN runtime_minutes ELSE imdb_runtime_minutes END AS runtime_minutes,
        dt::DATE AS collected_on FROM films ORDER BY film_id""")
    copy(con, "SELECT * FROM fact_film", out / "fact_film.parquet")
    # What the run counted (film_counts): the films of interest of the whole file, those
    # with TMDB details, and what the rules set aside.

    def outside(c):
        low, high = rules.POSSIBLE[c]
        ok = f"{c}::DOUBLE >= {low}" + ("" if high is None else f" AND {c}::DOUBLE <= {high}")
        return f"count(*) FILTER (WHERE {c} IS NOT NULL AND NOT ({ok}))"

    fl = max(floor, 0)
    counted = con.execute(
        "SELECT "
        + ", ".join(outside(c) for c in rules.IMPOSSIBLE)
        + f", count(*) FILTER (WHERE budget > 0 AND budget <= {fl})"
        + f", count(*) FILTER (WHERE revenue > 0 AND revenue <= {fl}) FROM films"
    ).fetchone()
    impossible = dict(zip(rules.IMPOSSIBLE.values(), counted[: len(rules.IMPOSSIBLE)]))
    of_interest = con.execute("SELECT count(*) FROM kept").fetchone()[0]
    with_tmdb = con.execute("SELECT count(*) FROM fact_film").fetchone()[0]
    tmdb_films = con.execute("SELECT count(DISTINCT imdb_id) FROM tmdb").fetchone()[0]
    rows = rules.film_counts(of_interest, with_tmdb, tmdb_films - with_tmdb, counted[-2], counted[-1], impossible)
    values = ", ".join(f"({q(n)}, {int(v)}::BIGINT, {q(w)})" for n, v, w in rows)
    copy(con, f"SELECT * FROM (VALUES {values}) AS t(count_name, films, what)", out / "film_counts.parquet")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE snapshot AS
      SELECT s.film_id, s.collected_on, {key("s.collected_on")} AS collected_on_key,
             f.release_date_key, s.popularity, s.tmdb_votes, s.tmdb_rating, s.revenue
      FROM (SELECT imdb_id AS film_id, dt::DATE AS collected_on,
                   {possible("popularity")} AS popularity, {possible("vote_count")} AS tmdb_votes,
                   {rating} AS tmdb_rating, {money("revenue")} AS revenue
            FROM tmdb_kept WHERE imdb_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY imdb_id, dt ORDER BY file_row_number) = 1) s
      LEFT JOIN fact_film f USING (film_id) ORDER BY film_id, collected_on""")
    copy(con, "SELECT * FROM snapshot", out / "fact_film_snapshot.parquet")
    copy(
        con,
        f"""SELECT {key("date")} AS date_key, date, year(date)::INTEGER AS year,
        quarter(date)::INTEGER AS quarter, month(date)::INTEGER AS month,
        (floor(year(date) / 10) * 10)::INTEGER AS decade,
        year(date) >= {rules.CENTURY_FROM} AS is_21st_century
      FROM (SELECT release_date AS date FROM films UNION SELECT collected_on FROM snapshot)
      WHERE date IS NOT NULL ORDER BY date""",
        out / "dim_date.parquet",
    )

    def exploded(list_col):
        return f"""(SELECT film_id, dt, file_row_number, u.* FROM latest,
                   UNNEST({list_col}) AS x(u) WHERE u IS NOT NULL)"""

    first = "ORDER BY dt DESC, file_row_number"
    copy(
        con,
        f"SELECT DISTINCT film_id, normal_code(iso_3166_1) AS country_code FROM {exploded('production_countries')} "
        "ORDER BY ALL",
        out / "bridge_film_country.parquet",
    )
    cont = rules.continents()
    con.execute("CREATE OR REPLACE TEMP TABLE continents (code VARCHAR, continent VARCHAR)")
    con.executemany("INSERT INTO continents VALUES (?, ?)", list(cont.items()))
    copy(
        con,
        f"""SELECT c.country_code, c.country_name, coalesce(k.continent, 'Unknown') AS continent,
        coalesce(k.continent = {q(rules.SOUTH_AMERICA_NAME)}, false) AS is_south_america
      FROM (SELECT normal_code(iso_3166_1) AS country_code, first(name {first}) AS country_name
            FROM {exploded("production_countries")} GROUP BY normal_code(iso_3166_1)) c
      LEFT JOIN continents k ON k.code = c.country_code ORDER BY c.country_code""",
        out / "dim_country.parquet",
    )
    copy(
        con,
        f"SELECT DISTINCT film_id, id AS genre_id FROM {exploded('genres')} ORDER BY ALL",
        out / "bridge_film_genre.parquet",
    )
    copy(
        con,
        f"""SELECT id AS genre_id, first(name {first}) AS genre_name
      FROM {exploded("genres")} GROUP BY id ORDER BY id""",
        out / "dim_genre.parquet",
    )
    copy(
        con,
        f"SELECT DISTINCT film_id, iso_639_1 AS language_code FROM {exploded('spoken_languages')} ORDER BY ALL",
        out / "bridge_film_language.parquet",
    )
    copy(
        con,
        f"""SELECT iso_639_1 AS language_code, first(english_name {first}) AS english_name,
        first(name {first}) AS native_name
      FROM {exploded("spoken_languages")} GROUP BY iso_639_1 ORDER BY iso_639_1""",
        out / "dim_language.parquet",
    )
    # Artists: the CSV rows of the fact's films; an artist is a (name, birth year) pair.
    # Where its rows disagree (star.rs `artists`), its death year is the latest given and
    # its professions every one any row lists, sorted, null when none is.
    con.execute("""CREATE OR REPLACE TEMP TABLE cast_rows AS
      SELECT m.* FROM movies m SEMI JOIN films f ON m.title_id = f.film_id
      WHERE m.artist_name IS NOT NULL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE dim_artist AS
      SELECT (row_number() OVER (ORDER BY artist_name COLLATE "binary", birth_year NULLS LAST) - 1)::BIGINT
               AS artist_key,
             artist_name, birth_year, death_year,
             CASE WHEN len(professions) > 0 THEN professions END AS professions
      FROM (SELECT artist_name, birth_year, max(death_year) AS death_year,
                   list_sort(list_distinct(flatten(list(professions)))) AS professions
            FROM cast_rows GROUP BY artist_name, birth_year)""")
    copy(con, "SELECT * FROM dim_artist ORDER BY artist_key", out / "dim_artist.parquet")
    copy(
        con,
        """SELECT c.title_id AS film_id, a.artist_key, c.artist_category, c.character_name
      FROM cast_rows c JOIN dim_artist a
        ON c.artist_name = a.artist_name AND c.birth_year IS NOT DISTINCT FROM a.birth_year
      ORDER BY ALL""",
        out / "bridge_film_artist.parquet",
    )


def main():
    ap = rules.arguments(__doc__)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    lake, out = rules.folders(args)
    con = duckdb.connect()
    con.execute(f"SET threads={args.threads}")
    con.execute("SET preserve_insertion_order=true")
    # Country codes trimmed and capitalised as Rust does (geo::normal_code): DuckDB's
    # trim takes spaces only, so the rule runs in Python.
    con.create_function("normal_code", rules.normal_code, ["VARCHAR"], "VARCHAR", null_handling="special")
    if args.stage in ("trusted", "all"):
        for kind in ("movies", "series"):
            trusted_csv(con, lake, out, kind)
        trusted_tmdb(con, lake, out)
    if args.stage in ("refined", "all"):
        refined(con, out)
    print(f"duckdb: tables written to {out}")


if __name__ == "__main__":
    main()
