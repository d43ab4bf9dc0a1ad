//! The one mapping from the source CSV columns to the Trusted columns.

use cinelake_lake::source::CsvKind;

/// How a source column is typed in Trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int32,
    Int64,
    Float64,
    /// A comma-separated list, as `array<string>`.
    List,
}

impl Kind {
    /// What a field of this kind must be, as a refusal says it (`"x" is not a number`);
    /// none for text and lists, which take any field. Both engines word it so.
    pub fn parse_rule(self) -> Option<&'static str> {
        match self {
            Kind::Text | Kind::List => None,
            Kind::Int32 | Kind::Int64 => Some("a whole number"),
            Kind::Float64 => Some("a number"),
        }
    }
}

/// What separates the items of a list column: `a,,b` is three items.
pub const LIST_SEPARATOR: &str = ",";

#[derive(Debug, Clone, Copy)]
pub struct ColumnMap {
    pub source: &'static str,
    pub target: &'static str,
    pub kind: Kind,
}

const fn m(source: &'static str, target: &'static str, kind: Kind) -> ColumnMap {
    ColumnMap {
        source,
        target,
        kind,
    }
}

const MOVIES: [ColumnMap; 15] = [
    m("id", "title_id", Kind::Text),
    m("tituloPincipal", "primary_title", Kind::Text),
    m("tituloOriginal", "original_title", Kind::Text),
    m("anoLancamento", "release_year", Kind::Int32),
    m("tempoMinutos", "runtime_minutes", Kind::Int32),
    m("genero", "genres", Kind::List),
    m("notaMedia", "average_rating", Kind::Float64),
    m("numeroVotos", "num_votes", Kind::Int64),
    m("generoArtista", "artist_category", Kind::Text),
    m("personagem", "character_name", Kind::Text),
    m("nomeArtista", "artist_name", Kind::Text),
    m("anoNascimento", "birth_year", Kind::Int32),
    m("anoFalecimento", "death_year", Kind::Int32),
    m("profissao", "professions", Kind::List),
    m("titulosMaisConhecidos", "known_for_titles", Kind::List),
];

/// The columns of a source file, in file order.
pub fn columns(kind: CsvKind) -> Vec<ColumnMap> {
    match kind {
        CsvKind::Movies => MOVIES.to_vec(),
        CsvKind::Series => {
            let mut cols = MOVIES.to_vec();
            cols.insert(4, m("anoTermino", "end_year", Kind::Int32));
            cols
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_follows_the_headers() {
        for kind in CsvKind::ALL {
            let sources: Vec<&str> = columns(kind).iter().map(|c| c.source).collect();
            let header: Vec<&str> = kind.columns().collect();
            assert_eq!(sources, header);
            for c in columns(kind) {
                assert!(
                    c.target
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                    "{}",
                    c.target
                );
            }
        }
    }
}
