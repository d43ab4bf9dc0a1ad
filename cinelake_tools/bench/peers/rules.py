"""What both peers share: where the Raw inputs are, the column mapping, the rules' settings.

The peers read the same Raw files cinelake's Trusted job reads and apply the same rules
(docs/data-model.md); this module holds only facts about the lake and the settings, and
the command line both take: no engine code, but for the one rule both apply film by film
in plain Python, a film's role towards South America (R11), a branching rule over a few
lists per film.
"""

import argparse
import os
import re
from pathlib import Path

from cinelake_tools.common import ROOT, RUST_WHITESPACE

# (source column, Trusted column, kind), in file order: crates/trusted/src/mapping.rs.
MOVIES = [
    ("id", "title_id", "text"),
    ("tituloPincipal", "primary_title", "text"),
    ("tituloOriginal", "original_title", "text"),
    ("anoLancamento", "release_year", "int32"),
    ("tempoMinutos", "runtime_minutes", "int32"),
    ("genero", "genres", "list"),
    ("notaMedia", "average_rating", "float64"),
    ("numeroVotos", "num_votes", "int64"),
    ("generoArtista", "artist_category", "text"),
    ("personagem", "character_name", "text"),
    ("nomeArtista", "artist_name", "text"),
    ("anoNascimento", "birth_year", "int32"),
    ("anoFalecimento", "death_year", "int32"),
    ("profissao", "professions", "list"),
    ("titulosMaisConhecidos", "known_for_titles", "list"),
]
SERIES = MOVIES[:4] + [("anoTermino", "end_year", "int32")] + MOVIES[4:]
CSV_COLUMNS = {"movies": MOVIES, "series": SERIES}

# What Rust's `str::parse` accepts before the finiteness check (R7): an optional sign and
# digits for whole numbers; decimal or exponent forms for doubles ("inf"/"NaN" excluded,
# and anything that overflows to infinity is refused after the cast).
WHOLE = r"^[+-]?[0-9]+$"
DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"

INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def latest_csv(lake: Path, kind: str) -> Path:
    """The newest Raw CSV of a kind, as `cinelake_lake::raw::latest_csv` picks it (key order)."""
    folder = "Movies" if kind == "movies" else "Series"
    found = sorted((lake / "Raw/Local/CSV" / folder).glob(f"*/*/*/{kind}.csv"))
    if not found:
        raise SystemExit(f"no Raw {kind}.csv under {lake}")
    return found[-1]


def tmdb_folders(lake: Path) -> dict:
    """{dt: [json files in key order]} for every Raw TMDB collection folder."""
    out = {}
    for f in sorted((lake / "Raw/TMDB/JSON").glob("*/*/*/*.json")):
        y, m, d = f.parts[-4:-1]
        out.setdefault(f"{y}-{m}-{d}", []).append(f)
    return out


def key_of(lake: Path, path: Path) -> str:
    return path.relative_to(lake).as_posix()


def selection():
    """The films-of-interest rule's settings (R1), from the same variables Refined reads."""
    genres = [g.strip() for g in os.environ.get("CINELAKE_INGEST_GENRES", "Drama").split(",")]
    genres = [g for g in genres if g]
    min_year = os.environ.get("CINELAKE_INGEST_MIN_YEAR", "2000")
    max_year = os.environ.get("CINELAKE_INGEST_MAX_YEAR")
    return (genres, int(min_year) if min_year else None, int(max_year) if max_year else None)


def money_floor() -> int:
    return int(os.environ.get("CINELAKE_MONEY_FLOOR_USD", "1000"))


def selection_text(genres, min_year, max_year) -> str:
    """The rule in words, as `Selection`'s Display writes it (crates/rules)."""
    text = f"films with genre {' or '.join(genres)}" if genres else "films of every genre"
    if min_year is not None and max_year is not None:
        return f"{text}, released {min_year} to {max_year}"
    if min_year is not None:
        return f"{text}, released {min_year} or later"
    if max_year is not None:
        return f"{text}, released {max_year} or earlier"
    return text


# The fact's column each source column's impossible values are counted under (R12,
# star.rs `IMPOSSIBLE`).
IMPOSSIBLE = {
    "imdb_rating": "imdb_rating",
    "imdb_votes": "imdb_votes",
    "vote_average": "tmdb_rating",
    "vote_count": "tmdb_votes",
    "popularity": "popularity",
    "budget": "budget",
    "revenue": "revenue",
}


def film_counts(of_interest, with_tmdb, left_out, budgets, revenues, impossible):
    """film_counts' rows (count_name, films, what), as star.rs `film_counts` writes them:
    IMPOSSIBLE is {fact column: count}, and a column with none is left out."""
    genres, min_year, max_year = selection()
    floor = money_floor()
    rows = [
        ("films_of_interest_imdb", of_interest, selection_text(genres, min_year, max_year)),
        ("films_with_tmdb", with_tmdb, "films of interest with TMDB details (fact_film)"),
        ("films_left_out", left_out, "films with TMDB details that are not films of interest"),
        ("placeholder_budgets", budgets, f"placeholder budgets (above 0, at most {floor} USD), read as unknown"),
        ("placeholder_revenues", revenues, f"placeholder revenues (above 0, at most {floor} USD), read as unknown"),
    ]
    rows += [
        (f"impossible_{c}", n, f"impossible values of {c}, read as unknown")
        for c, n in sorted(impossible.items())
        if n > 0
    ]
    return rows


# The values a measure can take (R12, star.rs `IMPOSSIBLE`): (low, high, None for no
# bound), by the column of the films' rows; outside them a value cannot be true and is
# read as null. TMDB rates from 0 to 10, IMDb from 1 to 10; counts are never negative.
POSSIBLE = {
    "imdb_rating": (1.0, 10.0),
    "imdb_votes": (0.0, None),
    "vote_average": (0.0, 10.0),
    "vote_count": (0.0, None),
    "popularity": (0.0, None),
    "budget": (0.0, None),
    "revenue": (0.0, None),
}

CENTURY_FROM = 2000


def continents() -> dict:
    """ISO code -> continent, read from the project's own table (crates/refined/src/geo.rs)."""
    text = (ROOT / "crates/refined/src/geo.rs").read_text()
    names = {
        "SOUTH_AMERICA": "South America",
        "NORTH_AMERICA": "North America",
        "EUROPE": "Europe",
        "ASIA": "Asia",
        "AFRICA": "Africa",
        "OCEANIA": "Oceania",
        "ANTARCTICA": "Antarctica",
    }
    out = {}
    # geo::continent tries the lists in this order; the first list that holds a code wins.
    for const in names:
        m = re.search(rf"const {const}: &\[&str\] = &\[(.*?)\];", text, re.S)
        if not m:
            raise SystemExit(f"{const} not found in geo.rs")
        for code in re.findall(r'"([A-Z]{2})"', m.group(1)):
            out.setdefault(code, names[const])
    return out


SOUTH_AMERICA_NAME = "South America"


def south_america_codes() -> frozenset:
    """The 14 codes of `geo::SOUTH_AMERICA`, which the role rule (R11) reads directly."""
    text = (ROOT / "crates/refined/src/geo.rs").read_text()
    m = re.search(r"const SOUTH_AMERICA: &\[&str\] = &\[(.*?)\];", text, re.S)
    if not m:
        raise SystemExit("SOUTH_AMERICA not found in geo.rs")
    return frozenset(re.findall(r'"([A-Z]{2})"', m.group(1)))


# A film's role towards South America (R11), as crates/refined/src/role.rs decides it:
# its labels, and the original languages the fallback reads as South American.
SOUTH_AMERICAN = "South American"
CO_PRODUCTION = "Co-production with South America"
NOT_SOUTH_AMERICAN = "Not South American"
BY_ORIGIN = "origin_country"
BY_FALLBACK = "production countries, companies and language"
SOUTH_AMERICAN_LANGUAGES = frozenset(["es", "pt", "qu", "gn", "ay"])

# Rust's `to_ascii_lowercase` changes ASCII letters only, where `str.lower` would also
# map other letters.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SOUTH_AMERICA = south_america_codes()


def _strings(values) -> list:
    """A list cell's strings, trimmed, nulls and empty ones left out (star.rs `strings_of`)."""
    trimmed = (v.strip(RUST_WHITESPACE) for v in values or [] if v is not None)
    return [v for v in trimmed if v]


def normal_code(code):
    """A country code trimmed and capitalised, as `geo::normal_code` (Rust's `trim` and
    `to_uppercase`, both Unicode) gives it; None stays None."""
    return None if code is None else code.strip(RUST_WHITESPACE).upper()


def _south_american(code: str) -> bool:
    return normal_code(code) in _SOUTH_AMERICA


def role(origin_countries, production_countries, company_countries, original_language):
    """(south_america_role, south_america_role_basis) of one film, `role::role` line by
    line: the record's `origin_country` list, its production countries' codes, its
    companies' `origin_country` (one per company) and its original language, any of
    them None. Films are few (one per film of interest), so one Python call each."""
    origin = _strings(origin_countries)
    countries = _strings(production_countries)
    companies = _strings(company_countries)
    produced_in_sa = any(_south_american(c) for c in countries)
    if origin:
        if any(_south_american(c) for c in origin):
            return SOUTH_AMERICAN, BY_ORIGIN
        return (CO_PRODUCTION if produced_in_sa else NOT_SOUTH_AMERICAN), BY_ORIGIN
    if not produced_in_sa:
        return NOT_SOUTH_AMERICAN, BY_FALLBACK
    if all(_south_american(c) for c in countries):
        return SOUTH_AMERICAN, BY_FALLBACK
    language = (
        original_language is not None
        and original_language.strip(RUST_WHITESPACE).translate(_ASCII_LOWER) in SOUTH_AMERICAN_LANGUAGES
    )
    # The South American companies count together; every other country on its own.
    sa_companies, others = 0, {}
    for c in companies:
        if _south_american(c):
            sa_companies += 1
        else:
            key = normal_code(c)
            others[key] = others.get(key, 0) + 1
    most_of_one_other = max(others.values(), default=0)
    if language and sa_companies > 0 and sa_companies >= most_of_one_other:
        return SOUTH_AMERICAN, BY_FALLBACK
    return CO_PRODUCTION, BY_FALLBACK


def data_lines(path: Path) -> int:
    """Lines after the header, as the Trusted job counts them (a last line without a
    line break counts)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def check_share(table: str, rejected: int, total: int):
    """The rejected-share threshold (CINELAKE_MAX_REJECTED_PERCENT, default 1%): above it
    the Trusted job publishes nothing, so the peer stops too."""
    limit = float(os.environ.get("CINELAKE_MAX_REJECTED_PERCENT", "1")) / 100
    share = rejected / total if total else 0.0
    if share > limit:
        raise SystemExit(f"{table}: {rejected} of {total} rows rejected ({share:.2%}), above the {limit:.2%} allowed")


def arguments(doc):
    """The command line both peers take: the lake, the folder they write to, the stage."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lake", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument(
        "--stage",
        choices=["trusted", "refined", "all"],
        default="all",
        help="refined reads the Trusted tables an earlier run wrote under OUT",
    )
    return ap


def folders(args):
    """(lake, out) of the parsed command line, absolute; `out` made if missing."""
    lake, out = args.lake.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    return lake, out
