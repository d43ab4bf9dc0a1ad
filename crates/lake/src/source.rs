//! The contract of the two IMDb-derived source files: names, headers, separator.
//!
//! The headers are checked byte for byte, typo included (`tituloPincipal` is how the real
//! files spell it), because a file with another header is another file.

use std::fmt;

/// The column separator of both files. The files have no quoting convention: a `"` is data.
pub const SEPARATOR: u8 = b'|';

/// How the files spell a null.
pub const NULL: &str = "\\N";

pub const MOVIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";

pub const SERIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|anoTermino|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";

/// Which of the two source files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CsvKind {
    Movies,
    Series,
}

impl CsvKind {
    pub const ALL: [CsvKind; 2] = [CsvKind::Movies, CsvKind::Series];

    /// The file name on disk and in Raw.
    pub fn file_name(self) -> &'static str {
        match self {
            CsvKind::Movies => "movies.csv",
            CsvKind::Series => "series.csv",
        }
    }

    /// The folder name used in the zone layout.
    pub fn folder(self) -> &'static str {
        match self {
            CsvKind::Movies => "Movies",
            CsvKind::Series => "Series",
        }
    }

    pub fn header(self) -> &'static str {
        match self {
            CsvKind::Movies => MOVIES_HEADER,
            CsvKind::Series => SERIES_HEADER,
        }
    }

    pub fn columns(self) -> impl Iterator<Item = &'static str> {
        self.header().split('|')
    }

    pub fn column_count(self) -> usize {
        self.columns().count()
    }
}

impl fmt::Display for CsvKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CsvKind::Movies => "movies",
            CsvKind::Series => "series",
        })
    }
}

impl std::str::FromStr for CsvKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "movies" | "movies.csv" => Ok(CsvKind::Movies),
            "series" | "series.csv" => Ok(CsvKind::Series),
            other => Err(format!(
                "unknown source file {other:?}: expected movies or series"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_have_the_documented_column_counts() {
        assert_eq!(CsvKind::Movies.column_count(), 15);
        assert_eq!(CsvKind::Series.column_count(), 16);
        assert!(SERIES_HEADER.contains("|anoTermino|"));
        assert!(!MOVIES_HEADER.contains("anoTermino"));
    }
}
