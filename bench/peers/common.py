"""What both peers share: where the Raw inputs are, the column mapping, the rules' settings.

The peers read the same Raw files cinelake's Trusted job reads and apply the same rules
(docs/data-model.md); this module holds only facts about the lake and the settings, no
engine code.
"""
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

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


CENTURY_FROM = 2000


def continents() -> dict:
    """ISO code -> continent, read from the project's own table (crates/refined/src/geo.rs)."""
    text = (REPO / "crates/refined/src/geo.rs").read_text()
    names = {
        "SOUTH_AMERICA": "South America", "NORTH_AMERICA": "North America", "EUROPE": "Europe",
        "ASIA": "Asia", "AFRICA": "Africa", "OCEANIA": "Oceania", "ANTARCTICA": "Antarctica",
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
        raise SystemExit(f"{table}: {rejected} of {total} rows rejected ({share:.2%}), "
                         f"above the {limit:.2%} allowed")
