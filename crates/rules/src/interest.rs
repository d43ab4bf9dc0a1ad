//! The films of interest: distinct ids of the latest Raw `movies.csv` whose genres
//! include one asked for and whose release year is in range.

use std::collections::BTreeSet;

use cinelake_lake::source::{CsvKind, NULL, SEPARATOR};

use crate::RulesError;

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
    #[arg(long, env = "CINELAKE_INGEST_MIN_YEAR", default_value_t = 2000)]
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
            min_year: 2000,
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
            min_year: Some(2000),
            max_year: None,
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
    let wanted: Vec<String> = selection
        .genres
        .iter()
        .map(|g| g.trim().to_lowercase())
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(SEPARATOR)
        .quoting(false)
        .flexible(true)
        .has_headers(true)
        .from_reader(csv_bytes);
    let expected = CsvKind::Movies.column_count();
    let mut out = Selected::default();
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
        out.rows += 1;
        if record.len() != expected {
            out.unreadable_rows += 1;
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
        let year_ok = match (year, selection.min_year, selection.max_year) {
            (None, None, None) => true,
            (None, _, _) => false,
            (Some(y), min, max) => min.is_none_or(|m| y >= m) && max.is_none_or(|m| y <= m),
        };
        if !year_ok {
            continue;
        }
        let genres = field(5);
        let genre_ok = wanted.is_empty()
            || genres
                .split(',')
                .any(|g| wanted.iter().any(|w| g.trim().eq_ignore_ascii_case(w)));
        if genre_ok {
            let id = field(0);
            if cinelake_tmdb::client::is_imdb_id(id) {
                out.ids.insert(id.to_string());
            }
        }
    }
    Ok(out)
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
}
