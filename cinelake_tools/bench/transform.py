"""Trusted and Refined at full scale, beside DuckDB doing the same reads, casts and joins.

    scripts/bench-transform             # 1,045,161 + 468,783 rows, TMDB for every selected film
    scripts/bench-transform --movies-rows 200000 --series-rows 90000

Prints wall time and peak memory (max RSS of the process) for each. Not a test.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cinelake_tools.bench.harness import release_cinelake, tmdb_sim
from cinelake_tools.bench.harness import run_child as run

DUCKDB = r'''
import duckdb, sys, glob, os
raw, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads=2")
cols = {
 "movies": ["id", "tituloPincipal", "tituloOriginal", "anoLancamento", "tempoMinutos", "genero", "notaMedia",
            "numeroVotos", "generoArtista", "personagem", "nomeArtista", "anoNascimento", "anoFalecimento",
            "profissao", "titulosMaisConhecidos"],
}
cols["series"] = cols["movies"][:4] + ["anoTermino"] + cols["movies"][4:]
for kind, path in [("movies", glob.glob(raw + "/Raw/Local/CSV/Movies/*/*/*/movies.csv")[0]),
                   ("series", glob.glob(raw + "/Raw/Local/CSV/Series/*/*/*/series.csv")[0])]:
    c = cols[kind]
    types = "{" + ",".join(f"'{x}':'VARCHAR'" for x in c) + "}"
    end = ", TRY_CAST(anoTermino AS INTEGER) AS end_year" if kind == "series" else ""
    con.execute(f"""
    COPY (SELECT id AS title_id, tituloPincipal AS primary_title, tituloOriginal AS original_title,
        TRY_CAST(anoLancamento AS INTEGER) AS release_year{end}, TRY_CAST(tempoMinutos AS INTEGER) AS runtime_minutes,
        string_split(genero, ',') AS genres, TRY_CAST(notaMedia AS DOUBLE) AS average_rating,
        TRY_CAST(numeroVotos AS BIGINT) AS num_votes, generoArtista AS artist_category, personagem AS character_name,
        nomeArtista AS artist_name, TRY_CAST(anoNascimento AS INTEGER) AS birth_year,
        TRY_CAST(anoFalecimento AS INTEGER) AS death_year, string_split(profissao, ',') AS professions,
        string_split(titulosMaisConhecidos, ',') AS known_for_titles
      FROM read_csv('{path}', delim='|', quote='', escape='', header=true, nullstr='\\N', columns={types}))
    TO '{out}/{kind}.parquet' (FORMAT PARQUET, COMPRESSION ZSTD)""")
files = glob.glob(raw + "/Raw/TMDB/JSON/*/*/*/*.json")
con.execute(f"""
COPY (SELECT id AS tmdb_id, NULLIF(imdb_id, '') AS imdb_id, NULLIF(title, '') AS title, original_language,
    TRY_CAST(NULLIF(release_date, '') AS DATE) AS release_date, runtime, budget, revenue, popularity,
    vote_average, vote_count, genres, production_countries, spoken_languages
  FROM read_json({files!r}, format='array', union_by_name=true))
TO '{out}/tmdb.parquet' (FORMAT PARQUET, COMPRESSION ZSTD)""")
con.execute(f"CREATE VIEW m AS SELECT * FROM '{out}/movies.parquet'")
con.execute(f"CREATE VIEW t AS SELECT * FROM '{out}/tmdb.parquet'")
con.execute(f"""COPY (
  WITH titles AS (SELECT title_id, any_value(primary_title) AS imdb_title, any_value(release_year) AS imdb_year,
                         any_value(average_rating) AS imdb_rating, any_value(num_votes) AS imdb_votes
                  FROM m GROUP BY title_id)
  SELECT t.imdb_id AS film_id, t.title, ti.imdb_rating, ti.imdb_votes, t.vote_average AS tmdb_rating, t.vote_count,
         t.popularity, NULLIF(t.budget, 0) AS budget, NULLIF(t.revenue, 0) AS revenue,
         NULLIF(t.revenue, 0) - NULLIF(t.budget, 0) AS profit
  FROM t LEFT JOIN titles ti ON ti.title_id = t.imdb_id WHERE t.imdb_id IS NOT NULL
) TO '{out}/fact_film.parquet' (FORMAT PARQUET)""")
con.execute(f"""COPY (SELECT DISTINCT t.imdb_id AS film_id, u.iso_3166_1 AS country_code
  FROM t, UNNEST(t.production_countries) AS x(u)) TO '{out}/bridge_film_country.parquet' (FORMAT PARQUET)""")
con.execute(f"""COPY (SELECT DISTINCT u.id AS genre_id, u.name FROM t, UNNEST(t.genres) AS x(u))
  TO '{out}/dim_genre.parquet' (FORMAT PARQUET)""")
con.execute(f"""COPY (SELECT m.title_id AS film_id, m.artist_name, m.birth_year, m.character_name FROM m
  JOIN t ON t.imdb_id = m.title_id) TO '{out}/bridge_film_artist.parquet' (FORMAT PARQUET)""")
print("ok")
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--movies-rows", type=int, default=1_045_161)
    ap.add_argument("--series-rows", type=int, default=468_783)
    ap.add_argument("--cinelake", default=None)
    args = ap.parse_args()
    cinelake = release_cinelake(args.cinelake)
    work = Path(tempfile.mkdtemp(prefix="cinelake-bench-transform-"))
    lake = work / "lake"
    env = dict(os.environ, RUST_LOG="warn", TMDB_API_KEY="bench")
    subprocess.run(
        [
            cinelake,
            "sample",
            "--out",
            str(work / "data"),
            "--movies-rows",
            str(args.movies_rows),
            "--series-rows",
            str(args.series_rows),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [cinelake, "upload", "--source-dir", str(work / "data"), "--lake", str(lake)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    with tmdb_sim(cinelake, env) as url:
        wall, _, _ = run(
            [cinelake, "ingest", "--lake", str(lake), "--tmdb-url", url, "--rps", "0", "--concurrency", "64"], env
        )
        print(f"(setup: TMDB records for every selected film fetched from the simulator in {wall:.0f} s)")
    results = []
    wall, rss, _ = run([cinelake, "trusted", "--lake", str(lake)], env)
    results.append(("cinelake trusted", wall, rss))
    wall, rss, _ = run([cinelake, "refined", "--lake", str(lake)], env)
    results.append(("cinelake refined", wall, rss))
    duck_out = work / "duckdb"
    duck_out.mkdir()
    wall, rss, _ = run([sys.executable, "-c", DUCKDB, str(lake), str(duck_out)], env)
    results.append(("DuckDB, same reads, casts and joins (2 threads)", wall, rss))
    print(f"\nmovies.csv {args.movies_rows:,} rows, series.csv {args.series_rows:,} rows, plus TMDB records\n")
    print("| job | wall time | peak memory (max RSS) |")
    print("|---|---|---|")
    for name, wall, rss in results:
        print(f"| {name} | {wall:.1f} s | {rss:.0f} MB |")
    total = results[0][1] + results[1][1]
    print(f"| cinelake trusted + refined | {total:.1f} s | {max(results[0][2], results[1][2]):.0f} MB |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
