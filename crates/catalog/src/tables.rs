//! Every table cinelake registers and every database it registers them in, named once.
//!
//! The stages, the query engine, the CLI and the tests all take a table's name, its
//! description and its place in the lake from here, so a name cannot drift between the
//! code that writes a table and the code that reads it.

use std::fmt;

use cinelake_lake::layout;
use cinelake_lake::source::CsvKind;

/// The zone a table belongs to; each zone is one catalog database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    Trusted,
    Refined,
}

/// Database names: `<prefix>_trusted` and `<prefix>_refined`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Databases {
    pub trusted: String,
    pub refined: String,
}

impl Databases {
    /// The prefix when none is configured.
    pub const DEFAULT_PREFIX: &'static str = "cinelake";

    pub fn with_prefix(prefix: &str) -> Self {
        Databases {
            trusted: format!("{prefix}_trusted"),
            refined: format!("{prefix}_refined"),
        }
    }

    /// The database of `zone`.
    pub fn of(&self, zone: Zone) -> &str {
        match zone {
            Zone::Trusted => &self.trusted,
            Zone::Refined => &self.refined,
        }
    }
}

impl Default for Databases {
    fn default() -> Self {
        Databases::with_prefix(Self::DEFAULT_PREFIX)
    }
}

/// A table of the Trusted or Refined zone.
///
/// Ordered by name, so a set of tables is walked (and published) in the same order as
/// their names sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Movies,
    Series,
    TmdbMovies,
    FactFilm,
    FactFilmSnapshot,
    DimFilm,
    DimDate,
    DimCountry,
    DimGenre,
    DimLanguage,
    DimArtist,
    BridgeFilmCountry,
    BridgeFilmGenre,
    BridgeFilmLanguage,
    BridgeFilmArtist,
    FilmCounts,
    DataSources,
}

impl Table {
    pub const TRUSTED: [Table; 3] = [Table::Movies, Table::Series, Table::TmdbMovies];
    pub const REFINED: [Table; 13] = [
        Table::FactFilm,
        Table::FactFilmSnapshot,
        Table::DimFilm,
        Table::DimDate,
        Table::DimCountry,
        Table::DimGenre,
        Table::DimLanguage,
        Table::DimArtist,
        Table::BridgeFilmCountry,
        Table::BridgeFilmGenre,
        Table::BridgeFilmLanguage,
        Table::BridgeFilmArtist,
        Table::FilmCounts,
    ];
    /// Written by the views step beside the views, for the dashboards.
    pub const DASHBOARD: [Table; 1] = [Table::DataSources];

    /// The name in the catalog (snake_case: Glue lowercases names).
    pub fn name(self) -> &'static str {
        match self {
            Table::Movies => "movies",
            Table::Series => "series",
            Table::TmdbMovies => "tmdb_movies",
            Table::FactFilm => "fact_film",
            Table::FactFilmSnapshot => "fact_film_snapshot",
            Table::DimFilm => "dim_film",
            Table::DimDate => "dim_date",
            Table::DimCountry => "dim_country",
            Table::DimGenre => "dim_genre",
            Table::DimLanguage => "dim_language",
            Table::DimArtist => "dim_artist",
            Table::BridgeFilmCountry => "bridge_film_country",
            Table::BridgeFilmGenre => "bridge_film_genre",
            Table::BridgeFilmLanguage => "bridge_film_language",
            Table::BridgeFilmArtist => "bridge_film_artist",
            Table::FilmCounts => "film_counts",
            Table::DataSources => "data_sources",
        }
    }

    /// The description registered with the table.
    pub fn description(self) -> &'static str {
        match self {
            Table::Movies => "movies.csv: one row per title and artist, typed",
            Table::Series => "series.csv: one row per title and artist, typed",
            Table::TmdbMovies => {
                "TMDB movie details (pt-BR), one row per TMDB id per collection date"
            }
            Table::FactFilm => {
                "one row per film with TMDB details: ratings, votes, popularity, money, runtime"
            }
            Table::FactFilmSnapshot => {
                "one row per film and TMDB collection date: popularity, votes, rating and revenue \
                 as collected that day, to follow a film's figures between collections"
            }
            Table::DimFilm => "films: titles, language, release",
            Table::DimDate => "the films' release dates and the TMDB collection dates",
            Table::DimCountry => "production countries with continent, South America marked",
            Table::DimGenre => "TMDB genres (pt-BR names)",
            Table::DimLanguage => "spoken languages",
            Table::DimArtist => "artists from the CSV (name and birth year)",
            Table::BridgeFilmCountry => "film to production country",
            Table::BridgeFilmGenre => "film to genre",
            Table::BridgeFilmLanguage => "film to spoken language",
            Table::BridgeFilmArtist => "film to artist, with role",
            Table::FilmCounts => {
                "what the Refined run counted, one row per count: the films of interest in the \
                 IMDb files, those with TMDB details, and the values each rule set aside"
            }
            Table::DataSources => {
                "where the dashboards' figures come from: the newest Raw CSV of each IMDb-derived \
                 file, its date, and the age past which the dashboards warn"
            }
        }
    }

    pub fn zone(self) -> Zone {
        match self {
            Table::Movies | Table::Series | Table::TmdbMovies => Zone::Trusted,
            _ => Zone::Refined,
        }
    }

    /// The database the table is registered in.
    pub fn database(self, dbs: &Databases) -> &str {
        dbs.of(self.zone())
    }

    /// The table's key prefix in the lake, ending in `/` (its versions live below).
    pub fn prefix(self) -> String {
        match self {
            Table::Movies => layout::trusted_csv_prefix(CsvKind::Movies),
            Table::Series => layout::trusted_csv_prefix(CsvKind::Series),
            Table::TmdbMovies => layout::trusted_tmdb_prefix(),
            refined => layout::refined_prefix(refined.name()),
        }
    }

    /// The Trusted table a source file becomes.
    pub fn of_csv(kind: CsvKind) -> Table {
        match kind {
            CsvKind::Movies => Table::Movies,
            CsvKind::Series => Table::Series,
        }
    }

    /// Every table, Trusted first.
    pub fn all() -> impl Iterator<Item = Table> {
        Self::TRUSTED
            .into_iter()
            .chain(Self::REFINED)
            .chain(Self::DASHBOARD)
    }
}

impl PartialOrd for Table {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Table {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Table {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Table::all()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("no table named {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<&str> = Table::all().map(Table::name).collect();
        for t in Table::all() {
            assert_eq!(t.name().parse::<Table>(), Ok(t));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Table::all().count());
        assert!("gold".parse::<Table>().is_err());
    }

    #[test]
    fn zones_databases_and_prefixes() {
        let dbs = Databases::with_prefix("x");
        assert_eq!(Table::Series.database(&dbs), "x_trusted");
        assert_eq!(Table::FactFilm.database(&dbs), "x_refined");
        assert_eq!(Table::TmdbMovies.prefix(), "Trusted/TMDB/Parquet/Movies/");
        assert_eq!(Table::Movies.prefix(), "Trusted/Local/Parquet/Movies/");
        assert_eq!(Table::DimDate.prefix(), "Refined/dim_date/");
        assert!(
            Table::REFINED
                .iter()
                .all(|t| t.zone() == Zone::Refined && !t.description().is_empty())
        );
        assert_eq!(Databases::default().refined, "cinelake_refined");
    }

    #[test]
    fn ordered_by_name() {
        let mut tables = Table::REFINED.to_vec();
        tables.sort();
        assert_eq!(tables[0], Table::BridgeFilmArtist);
        assert_eq!(tables[10], Table::FactFilm);
        assert_eq!(tables[11], Table::FactFilmSnapshot);
    }
}
