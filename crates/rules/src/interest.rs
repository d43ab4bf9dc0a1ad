//! Picks the films of interest. They are the distinct ids of the latest Raw
//! `movies.csv` whose genres include one asked for and whose release year is in range.

use std::collections::BTreeSet;

use cinelake_lake::source::{CsvKind, NULL, SEPARATOR};

use crate::RulesError;

/// The first release year of "the 21st century" in this project. It is 2000, as
/// analysts count the 2000s onward, not the calendar's 2001. The selection's default,
/// `dim_date`'s `is_21st_century` and the views all use this one definition.
pub const CENTURY_FROM: i32 = 2000;

/// Which films to fetch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    /// A film qualifies if any of its genres is one of these (case-insensitive).
    pub genres: Vec<String>,
    pub min_year: Option<i32>,
    pub max_year: Option<i32>,
}

/// The selection's flags and variables, the same for ingestion and every later stage.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct SelectionSettings {
    /// Genres of interest (any of them), comma-separated.
    #[arg(
        long,
        env = "CINELAKE_INGEST_GENRES",
        value_delimiter = ',',
        default_value = "Drama"
    )]
    pub genres: Vec<String>,
    /// Earliest release year (0 for none).
    #[arg(long, env = "CINELAKE_INGEST_MIN_YEAR", default_value_t = CENTURY_FROM)]
    pub min_year: i32,
    /// Latest release year.
    #[arg(long, env = "CINELAKE_INGEST_MAX_YEAR")]
    pub max_year: Option<i32>,
}

impl Default for SelectionSettings {
    /// Drama from 2000 on, as the flags default.
    fn default() -> Self {
        SelectionSettings {
            genres: vec!["Drama".into()],
            min_year: CENTURY_FROM,
            max_year: None,
        }
    }
}

impl SelectionSettings {
    pub fn selection(&self) -> Selection {
        Selection {
            genres: self
                .genres
                .iter()
                .filter(|g| !g.trim().is_empty())
                .cloned()
                .collect(),
            min_year: (self.min_year > 0).then_some(self.min_year),
            max_year: self.max_year,
        }
    }
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            genres: vec!["Drama".into()],
            min_year: Some(CENTURY_FROM),
            max_year: None,
        }
    }
}

impl Selection {
    /// Whether a film with these genres (as the CSV lists them) and release year is of
    /// interest.
    ///
    /// A genre of the film must be one asked for, compared case-insensitively. When no
    /// genre is asked for, any genres pass. The year must be in range. A film without a
    /// year is admitted only when no range is set. Ingestion decides with this on the
    /// Raw CSV, and Refined on Trusted `movies`.
    pub fn admits<'a>(&self, genres: impl IntoIterator<Item = &'a str>, year: Option<i32>) -> bool {
        let year_ok = match (year, self.min_year, self.max_year) {
            (None, None, None) => true,
            (None, _, _) => false,
            (Some(y), min, max) => min.is_none_or(|m| y >= m) && max.is_none_or(|m| y <= m),
        };
        let wanted: Vec<&str> = self
            .genres
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
            .collect();
        year_ok
            && (wanted.is_empty()
                || genres
                    .into_iter()
                    .any(|g| wanted.iter().any(|w| g.trim().eq_ignore_ascii_case(w))))
    }
}

/// The rule in words, for run manifests and table descriptions.
impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let genres: Vec<&str> = self
            .genres
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
            .collect();
        if genres.is_empty() {
            write!(f, "films of every genre")?;
        } else {
            write!(f, "films with genre {}", genres.join(" or "))?;
        }
        match (self.min_year, self.max_year) {
            (Some(a), Some(b)) => write!(f, ", released {a} to {b}"),
            (Some(a), None) => write!(f, ", released {a} or later"),
            (None, Some(b)) => write!(f, ", released {b} or earlier"),
            (None, None) => Ok(()),
        }
    }
}

/// What the selection read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Selected {
    pub ids: BTreeSet<String>,
    pub rows: u64,
    /// Rows that could not be read (wrong field count); they cannot qualify.
    pub unreadable_rows: u64,
}

/// Scans a movies.csv (as uploaded: `|`, no quoting, `\N`) for the ids of interest.
pub fn select(csv_bytes: &[u8], selection: &Selection) -> Result<Selected, RulesError> {
    let mut selector = Selector::new(selection);
    selector.feed(csv_bytes)?;
    selector.finish()
}

/// [`select`] a piece at a time, so that a large file is never held whole: feed it the
/// file's bytes in order, in pieces of any size, then `finish`.
pub struct Selector<'a> {
    selection: &'a Selection,
    /// The bytes after the last line break fed so far: the start of a line.
    partial: Vec<u8>,
    header_read: bool,
    out: Selected,
}

impl<'a> Selector<'a> {
    pub fn new(selection: &'a Selection) -> Self {
        Selector {
            selection,
            partial: Vec::new(),
            header_read: false,
            out: Selected::default(),
        }
    }

    /// Reads every whole line of `piece` (with the line begun before it).
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), RulesError> {
        let Some(last_break) = memchr::memrchr(b'\n', piece) else {
            self.partial.extend_from_slice(piece);
            return Ok(());
        };
        let (lines, rest) = piece.split_at(last_break + 1);
        if self.partial.is_empty() {
            self.read(lines)?;
        } else {
            let mut joined = std::mem::take(&mut self.partial);
            joined.extend_from_slice(lines);
            self.read(&joined)?;
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// Reads the last line (one without a line break) and gives what was selected.
    pub fn finish(mut self) -> Result<Selected, RulesError> {
        let last = std::mem::take(&mut self.partial);
        self.read(&last)?;
        Ok(self.out)
    }

    /// Reads whole lines: the first line of the file is its header.
    fn read(&mut self, lines: &[u8]) -> Result<(), RulesError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(SEPARATOR)
            .quoting(false)
            .flexible(true)
            .has_headers(false)
            .from_reader(lines);
        let expected = CsvKind::Movies.column_count();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    return Err(RulesError::Unreadable {
                        what: "the Raw movies.csv".into(),
                        detail: e.to_string(),
                    });
                }
            }
            if !self.header_read {
                self.header_read = true;
                continue;
            }
            self.out.rows += 1;
            if record.len() != expected {
                self.out.unreadable_rows += 1;
                continue;
            }
            let field = |i: usize| {
                std::str::from_utf8(&record[i])
                    .unwrap_or("")
                    .trim_end_matches('\r')
            };
            let year: Option<i32> = match field(3) {
                v if v == NULL || v.is_empty() => None,
                v => v.parse().ok(),
            };
            if self.selection.admits(field(5).split(','), year) {
                let id = field(0);
                if cinelake_tmdb::client::is_imdb_id(id) {
                    self.out.ids.insert(id.to_string());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos\r\n\
tt0000001|\"Quoted|\"Quoted|2001|90|Drama,Romance|6.1|10|actor|\\N|A|\\N|\\N|actor|tt1\r\n\
tt0000001|\"Quoted|\"Quoted|2001|90|Drama,Romance|6.1|10|actress|\\N|B|\\N|\\N|actress|tt1\r\n\
tt0000002|Old|Old|1999|90|Drama|6.1|10|actor|\\N|A|\\N|\\N|actor|tt1\r\n\
tt0000003|Comedy|Comedy|2005|90|Comedy|6.1|10|actor|\\N|A|\\N|\\N|actor|tt1\r\n\
tt0000004|NoYear|NoYear|\\N|90|Drama|6.1|10|actor|\\N|A|\\N|\\N|actor|tt1\r\n\
tt0000005|Short|row\r\n\
tt0000006|Last|Last|2020|\\N|Crime,Drama|7|99|actor|\\N|A|\\N|\\N|actor|tt1";

    #[test]
    fn drama_from_2000_distinct_and_quotes_are_data() {
        let s = select(CSV.as_bytes(), &Selection::default()).unwrap();
        let ids: Vec<&str> = s.ids.iter().map(String::as_str).collect();
        assert_eq!(ids, ["tt0000001", "tt0000006"]);
        assert_eq!(s.rows, 7);
        assert_eq!(s.unreadable_rows, 1);
    }

    #[test]
    fn pieces_of_any_size_select_the_same() {
        let selection = Selection::default();
        let whole = select(CSV.as_bytes(), &selection).unwrap();
        for size in [1, 2, 7, 64, 500] {
            let mut selector = Selector::new(&selection);
            for piece in CSV.as_bytes().chunks(size) {
                selector.feed(piece).unwrap();
            }
            assert_eq!(selector.finish().unwrap(), whole, "pieces of {size} bytes");
        }
    }

    #[test]
    fn genres_and_years_are_configurable() {
        let sel = Selection {
            genres: vec!["comedy".into(), "crime".into()],
            min_year: Some(2004),
            max_year: Some(2019),
        };
        let s = select(CSV.as_bytes(), &sel).unwrap();
        assert_eq!(s.ids.into_iter().collect::<Vec<_>>(), ["tt0000003"]);
        let all = Selection {
            genres: vec![],
            min_year: None,
            max_year: None,
        };
        assert_eq!(select(CSV.as_bytes(), &all).unwrap().ids.len(), 5);
    }

    #[test]
    fn the_rule_decides_one_film_and_reads_as_words() {
        let sel = Selection::default();
        assert!(sel.admits(["Crime", " drama"], Some(2000)));
        assert!(!sel.admits(["Drama"], Some(1999)));
        assert!(!sel.admits(["Drama"], None));
        assert!(!sel.admits(["Comedy"], Some(2010)));
        assert!(!sel.admits([], Some(2010)));
        assert_eq!(
            sel.to_string(),
            "films with genre Drama, released 2000 or later"
        );
        let two = Selection {
            genres: vec!["Drama".into(), " ".into(), "Crime".into()],
            min_year: Some(2001),
            max_year: Some(2010),
        };
        assert_eq!(
            two.to_string(),
            "films with genre Drama or Crime, released 2001 to 2010"
        );
        let all = Selection {
            genres: vec![],
            min_year: None,
            max_year: None,
        };
        assert!(all.admits([], None));
        assert_eq!(all.to_string(), "films of every genre");
    }
}
