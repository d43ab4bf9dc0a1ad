"""Polars (Python, lazy and streaming where it can) doing the same work as cinelake's
Trusted and Refined jobs, for the benchmark.

    .venv-bench/bin/python -m cinelake_tools.bench.peers.polars_same_work LAKE OUT \
        [--stage trusted|refined|all]

Reads the Raw CSV and TMDB JSON of a lake made by cinelake and writes, as zstd Parquet
under OUT, the Trusted tables (movies, series, tmdb_movies with its `dt` as a column) and
the Refined star schema, by the rules of docs/data-model.md. The CSV tables are one
streaming query each, from the file to the Parquet sink; the TMDB JSON (arrays, which
Polars reads only eagerly) is read file by file; the Refined tables are lazy queries over
the Trusted Parquet. `same_rows` (beside this) checks that the rows are cinelake's.
"""

from pathlib import Path

import polars as pl

from cinelake_tools.bench.peers import rules

DTYPE = {"text": pl.String, "int32": pl.Int32, "int64": pl.Int64, "float64": pl.Float64, "list": pl.List(pl.String)}
ZSTD = {"compression": "zstd"}


def trusted_csv(lake: Path, out: Path, kind: str):
    cols = rules.CSV_COLUMNS[kind]
    src = rules.latest_csv(lake, kind)
    # One column per line (no quoting, a separator that cannot occur): the fields are
    # split here, so a line with the wrong field count is seen and refused, not padded.
    lines = pl.scan_csv(
        src, has_header=False, skip_rows=1, separator="\x01", quote_char=None, schema={"line": pl.String}
    )
    f = pl.col("line").str.strip_suffix("\r").str.split("|")
    lf = lines.select(f.alias("f")).filter(pl.col("f").list.len() == len(cols))
    values, ok = [], pl.lit(True)
    for i, (_, name, k) in enumerate(cols):
        raw = pl.col("f").list.get(i)
        v = pl.when((raw == "") | (raw == "\\N")).then(None).otherwise(raw)
        if k == "list":
            values.append(v.str.split(",").alias(name))
        elif k == "text":
            values.append(v.alias(name))
        else:
            number = v.str.strip_prefix("+").cast(DTYPE[k], strict=False)
            values.append(number.alias(name))
            if k == "float64":
                good = v.str.contains(rules.DECIMAL) & number.is_finite()
            else:
                good = v.str.contains(rules.WHOLE) & number.is_not_null()
            ok = ok & (v.is_null() | good.fill_null(False))
    lf.filter(ok).select(values).sink_parquet(out / f"{kind}.parquet", **ZSTD)
    total = rules.data_lines(src)
    written = pl.scan_parquet(out / f"{kind}.parquet").select(pl.len()).collect().item()
    rules.check_share(kind, total - written, total)


def s(name):
    return pl.Field(name, pl.String)


def i(name):
    return pl.Field(name, pl.Int64)


RECORD = pl.Schema(
    {
        "id": pl.Int64,
        "imdb_id": pl.String,
        "title": pl.String,
        "original_title": pl.String,
        "original_language": pl.String,
        "overview": pl.String,
        "tagline": pl.String,
        "status": pl.String,
        "homepage": pl.String,
        "release_date": pl.String,
        "runtime": pl.Int64,
        "budget": pl.Int64,
        "revenue": pl.Int64,
        "popularity": pl.Float64,
        "vote_average": pl.Float64,
        "vote_count": pl.Int64,
        "adult": pl.Boolean,
        "video": pl.Boolean,
        "poster_path": pl.String,
        "backdrop_path": pl.String,
        "belongs_to_collection": pl.Struct([i("id"), s("name")]),
        "genres": pl.List(pl.Struct([i("id"), s("name")])),
        # Movie details carry it today; older records do not (null).
        "origin_country": pl.List(pl.String),
        "production_companies": pl.List(pl.Struct([i("id"), s("name"), s("origin_country"), s("logo_path")])),
        "production_countries": pl.List(pl.Struct([s("iso_3166_1"), s("name")])),
        "spoken_languages": pl.List(pl.Struct([s("iso_639_1"), s("english_name"), s("name")])),
    }
)


def text(c):
    return pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)


def trusted_tmdb(lake: Path, out: Path):
    frames = []
    for dt, files in rules.tmdb_folders(lake).items():
        total = refused = 0
        for f in files:
            df = pl.read_json(f, schema=RECORD)
            total += df.height
            refused += df.select((~(pl.col("id") > 0).fill_null(False)).sum()).item()
            frames.append(
                df.lazy().with_columns(pl.lit(dt).alias("dt"), pl.lit(rules.key_of(lake, f)).alias("source_file"))
            )
        rules.check_share(f"tmdb_movies dt={dt}", refused, total)
    lf = pl.concat(frames, how="vertical")
    (
        lf.filter(pl.col("id") > 0)
        .unique(subset=["dt", "id"], keep="last", maintain_order=True)
        .select(
            pl.col("id").alias("tmdb_id"),
            *[
                text(c)
                for c in [
                    "imdb_id",
                    "title",
                    "original_title",
                    "original_language",
                    "overview",
                    "tagline",
                    "status",
                    "homepage",
                ]
            ],
            text("release_date").str.to_date("%Y-%m-%d", strict=False),
            pl.col("runtime").cast(pl.Int32).alias("runtime_minutes"),
            "budget",
            "revenue",
            "popularity",
            "vote_average",
            "vote_count",
            "adult",
            "video",
            text("poster_path"),
            text("backdrop_path"),
            pl.col("belongs_to_collection").struct.field("id").alias("collection_id"),
            pl.col("belongs_to_collection").struct.field("name").alias("collection_name"),
            "genres",
            "origin_country",
            "production_companies",
            "production_countries",
            "spoken_languages",
            "source_file",
            "dt",
        )
        .sink_parquet(out / "tmdb_movies.parquet", **ZSTD)
    )


def date_key(d):
    return (d.dt.year() * 10000 + d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)).cast(pl.Int32)


def within(c):
    """Whether `c` holds a value its measure can take (R12), compared as a double as star.rs does."""
    low, high = rules.POSSIBLE[c]
    x = pl.col(c).cast(pl.Float64)
    return (x >= low) if high is None else (x >= low) & (x <= high)


def possible(c):
    """`c` when it can be true, else null (R12)."""
    return pl.when(within(c)).then(pl.col(c)).otherwise(None)


def roles(films: pl.DataFrame) -> pl.DataFrame:
    """Each film's role towards South America and its basis (R11), by rules.role."""
    rows = films.select(
        "film_id",
        "origin_country",
        pl.col("production_countries").list.eval(pl.element().struct.field("iso_3166_1")),
        pl.col("production_companies").list.eval(pl.element().struct.field("origin_country")),
        "original_language",
    ).iter_rows()
    out = [(f, *rules.role(o, c, k, lang)) for f, o, c, k, lang in rows]
    return pl.DataFrame(
        out,
        orient="row",
        schema={"film_id": pl.String, "south_america_role": pl.String, "south_america_role_basis": pl.String},
    )


def refined(out: Path):
    genres, min_year, max_year = rules.selection()
    floor = rules.money_floor()
    movies = pl.scan_parquet(out / "movies.parquet")
    tmdb = pl.scan_parquet(out / "tmdb_movies.parquet")
    titles = movies.unique(subset=["title_id"], keep="first", maintain_order=True)
    year = pl.col("release_year")
    if min_year is None and max_year is None:
        year_ok = pl.lit(True)
    else:
        year_ok = year.is_not_null()
        if min_year is not None:
            year_ok = year_ok & (year >= min_year)
        if max_year is not None:
            year_ok = year_ok & (year <= max_year)
    wanted = [g.lower() for g in genres]
    genre_ok = (
        pl.col("genres")
        .list.eval(pl.element().str.strip_chars().str.to_lowercase().is_in(wanted))
        .list.any()
        .fill_null(False)
        if wanted
        else pl.lit(True)
    )
    kept = (
        titles.filter(year_ok & genre_ok & pl.col("title_id").is_not_null())
        .select(pl.col("title_id").alias("film_id"))
        .collect()
    )
    tmdb_kept = tmdb.join(
        kept.lazy(), left_on="imdb_id", right_on="film_id", how="semi", maintain_order="left"
    ).collect()
    movies_kept = movies.join(kept.lazy(), left_on="title_id", right_on="film_id", how="semi", maintain_order="left")
    latest = (
        tmdb_kept.lazy()
        .filter(pl.col("imdb_id").is_not_null())
        .sort("dt", descending=True, maintain_order=True)
        .unique(subset=["imdb_id"], keep="first", maintain_order=True)
        .with_columns(pl.col("imdb_id").alias("film_id"))
    ).collect()
    film_titles = movies_kept.unique(subset=["title_id"], keep="first", maintain_order=True).select(
        pl.col("title_id").alias("film_id"),
        pl.col("primary_title").alias("imdb_title"),
        pl.col("release_year").alias("imdb_release_year"),
        pl.col("runtime_minutes").alias("imdb_runtime_minutes"),
        pl.col("average_rating").alias("imdb_rating"),
        pl.col("num_votes").alias("imdb_votes"),
    )
    films = latest.lazy().join(film_titles, on="film_id", how="left").collect()

    def money(c):
        # Above the floor only: 0, a placeholder up to the floor itself, or below 0 is unknown.
        return pl.when(pl.col(c) > max(floor, 0)).then(pl.col(c)).otherwise(None)

    rating = pl.when((pl.col("vote_count") > 0) & within("vote_average")).then(pl.col("vote_average")).otherwise(None)
    release_year = pl.coalesce(pl.col("imdb_release_year"), pl.col("release_date").dt.year()).cast(pl.Int32)
    collected = pl.col("dt").str.to_date("%Y-%m-%d", strict=False)
    dim_film = (
        films.lazy()
        .join(roles(films).lazy(), on="film_id", how="left")
        .select(
            "film_id",
            "tmdb_id",
            "title",
            "original_title",
            "imdb_title",
            pl.col("original_language").alias("original_language_code"),
            "release_date",
            release_year.alias("release_year"),
            "status",
            "collection_name",
            "south_america_role",
            "south_america_role_basis",
        )
        .sort("film_id")
        .collect()
    )
    dim_film.write_parquet(out / "dim_film.parquet", **ZSTD)
    fact = (
        films.lazy()
        .select(
            "film_id",
            date_key(pl.col("release_date")).alias("release_date_key"),
            release_year.alias("release_year"),
            possible("imdb_rating"),
            possible("imdb_votes"),
            rating.alias("tmdb_rating"),
            possible("vote_count").alias("tmdb_votes"),
            possible("popularity"),
            money("budget").alias("budget"),
            money("revenue").alias("revenue"),
            (money("revenue") - money("budget")).alias("profit"),
            pl.when(pl.col("runtime_minutes") > 0)
            .then(pl.col("runtime_minutes"))
            .otherwise(pl.col("imdb_runtime_minutes"))
            .alias("runtime_minutes"),
            collected.alias("collected_on"),
        )
        .sort("film_id")
        .collect()
    )
    fact.write_parquet(out / "fact_film.parquet", **ZSTD)
    # What the run counted (film_counts): the films of interest of the whole file, those
    # with TMDB details, and what the rules set aside.
    floor_ = max(floor, 0)
    counted = films.select(
        *[(pl.col(c).is_not_null() & ~within(c)).sum().alias(f) for c, f in rules.IMPOSSIBLE.items()],
        ((pl.col("budget") > 0) & (pl.col("budget") <= floor_)).sum().alias("_budgets"),
        ((pl.col("revenue") > 0) & (pl.col("revenue") <= floor_)).sum().alias("_revenues"),
    ).row(0, named=True)
    tmdb_films = tmdb.select(pl.col("imdb_id").drop_nulls().n_unique()).collect().item()
    rows = rules.film_counts(
        kept.height,
        fact.height,
        tmdb_films - fact.height,
        counted["_budgets"],
        counted["_revenues"],
        {f: counted[f] for f in rules.IMPOSSIBLE.values()},
    )
    pl.DataFrame(
        {"count_name": [r[0] for r in rows], "films": [r[1] for r in rows], "what": [r[2] for r in rows]},
        schema={"count_name": pl.String, "films": pl.Int64, "what": pl.String},
    ).write_parquet(out / "film_counts.parquet", **ZSTD)
    snapshot = (
        tmdb_kept.lazy()
        .filter(pl.col("imdb_id").is_not_null())
        .unique(subset=["imdb_id", "dt"], keep="first", maintain_order=True)
        .select(
            pl.col("imdb_id").alias("film_id"),
            collected.alias("collected_on"),
            date_key(collected).alias("collected_on_key"),
            possible("popularity"),
            possible("vote_count").alias("tmdb_votes"),
            rating.alias("tmdb_rating"),
            money("revenue").alias("revenue"),
        )
        .join(fact.lazy().select("film_id", "release_date_key"), on="film_id", how="left")
        .select(
            "film_id",
            "collected_on",
            "collected_on_key",
            "release_date_key",
            "popularity",
            "tmdb_votes",
            "tmdb_rating",
            "revenue",
        )
        .sort("film_id", "collected_on")
        .collect()
    )
    snapshot.write_parquet(out / "fact_film_snapshot.parquet", **ZSTD)
    d = pl.col("date")
    (
        pl.concat(
            [
                dim_film.lazy().select(pl.col("release_date").alias("date")),
                snapshot.lazy().select(pl.col("collected_on").alias("date")),
            ]
        )
        .filter(d.is_not_null())
        .unique()
        .sort("date")
        .select(
            date_key(d).alias("date_key"),
            d,
            d.dt.year().cast(pl.Int32).alias("year"),
            d.dt.quarter().cast(pl.Int32).alias("quarter"),
            d.dt.month().cast(pl.Int32).alias("month"),
            ((d.dt.year() / 10).floor() * 10).cast(pl.Int32).alias("decade"),
            (d.dt.year() >= rules.CENTURY_FROM).alias("is_21st_century"),
        )
        .sink_parquet(out / "dim_date.parquet", **ZSTD)
    )

    base = latest.lazy()

    def exploded(list_col):
        return (
            base.select("film_id", list_col).explode(list_col).filter(pl.col(list_col).is_not_null()).unnest(list_col)
        )

    def bridge(list_col, key, name, normal=lambda e: e):
        (
            exploded(list_col)
            .select("film_id", normal(pl.col(key)).alias(name))
            .unique(maintain_order=True)
            .sort("film_id", name, maintain_order=True)
            .sink_parquet(out / f"bridge_film_{name.split('_')[0]}.parquet", **ZSTD)
        )

    # Country codes trimmed and capitalised (geo::normal_code): Polars does as Rust does.
    code = lambda e: e.str.strip_chars().str.to_uppercase()  # noqa: E731
    bridge("production_countries", "iso_3166_1", "country_code", code)
    bridge("genres", "id", "genre_id")
    bridge("spoken_languages", "iso_639_1", "language_code")
    cont = rules.continents()
    continent = pl.col("country_code").replace_strict(cont, default="Unknown", return_dtype=pl.String)
    (
        exploded("production_countries")
        .select(code(pl.col("iso_3166_1")).alias("country_code"), pl.col("name").alias("country_name"))
        .unique(subset=["country_code"], keep="first", maintain_order=True)
        .sort("country_code")
        .with_columns(continent.alias("continent"))
        .with_columns((pl.col("continent") == rules.SOUTH_AMERICA_NAME).fill_null(False).alias("is_south_america"))
        .sink_parquet(out / "dim_country.parquet", **ZSTD)
    )
    (
        exploded("genres")
        .select(pl.col("id").alias("genre_id"), pl.col("name").alias("genre_name"))
        .unique(subset=["genre_id"], keep="first", maintain_order=True)
        .sort("genre_id")
        .sink_parquet(out / "dim_genre.parquet", **ZSTD)
    )
    (
        exploded("spoken_languages")
        .select(pl.col("iso_639_1").alias("language_code"), "english_name", pl.col("name").alias("native_name"))
        .unique(subset=["language_code"], keep="first", maintain_order=True)
        .sort("language_code")
        .sink_parquet(out / "dim_language.parquet", **ZSTD)
    )
    # Artists: the CSV rows of the fact's films; an artist is a (name, birth year) pair.
    # Where its rows disagree (star.rs `artists`), its death year is the latest given and
    # its professions every one any row lists, sorted, null when none is.
    cast = (
        movies_kept.join(
            dim_film.lazy().select("film_id"), left_on="title_id", right_on="film_id", how="semi", maintain_order="left"
        ).filter(pl.col("artist_name").is_not_null())
    ).collect()
    professions = pl.col("professions").explode().drop_nulls().unique().sort()
    dim_artist = (
        cast.lazy()
        .group_by("artist_name", "birth_year")
        .agg(pl.col("death_year").max(), professions)
        .with_columns(pl.when(pl.col("professions").list.len() > 0).then(pl.col("professions")).alias("professions"))
        .sort("artist_name", "birth_year", nulls_last=True)
        .with_row_index("artist_key")
        .with_columns(pl.col("artist_key").cast(pl.Int64))
    ).collect()
    dim_artist.write_parquet(out / "dim_artist.parquet", **ZSTD)
    (
        cast.lazy()
        .join(
            dim_artist.lazy().select("artist_key", "artist_name", "birth_year"),
            on=["artist_name", "birth_year"],
            how="inner",
            nulls_equal=True,
        )
        .select(pl.col("title_id").alias("film_id"), "artist_key", "artist_category", "character_name")
        .sort("film_id", "artist_key", "artist_category", "character_name", maintain_order=True)
        .sink_parquet(out / "bridge_film_artist.parquet", **ZSTD)
    )


def main():
    args = rules.arguments(__doc__).parse_args()
    lake, out = rules.folders(args)
    if args.stage in ("trusted", "all"):
        for kind in ("movies", "series"):
            trusted_csv(lake, out, kind)
        trusted_tmdb(lake, out)
    if args.stage in ("refined", "all"):
        refined(out)
    print(f"polars: tables written to {out}")


if __name__ == "__main__":
    main()
