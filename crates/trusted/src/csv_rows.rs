//! Raw CSV lines to typed Polars columns in one pass, with the lines refused.
//!
//! The file has no quoting convention (a `"` is data), so a line is its fields split on
//! `|`. Each line is checked whole before any of it is kept: valid UTF-8, the right field
//! count, and every number column parsing. A line that fails goes to the rejects with its
//! line number and every reason; the rest go straight into column builders. One pass, no
//! text copy of the file and no second parse of a number.

use std::num::NonZeroUsize;

use cinelake_frames::PolarsContext;
use cinelake_lake::source::{CsvKind, NULL as SOURCE_NULL};
use polars::prelude::*;

use crate::TrustedError;
use crate::mapping::{Kind, LIST_SEPARATOR, columns};
use crate::rejects::Rejected;

/// A run of whole lines of the file, `first_line` being the 1-based line number of the
/// first (the header is line 1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
    pub first_line: u64,
    pub lines: u64,
}

/// Cuts the lines of `bytes` from `offset` into chunks of `rows` lines, numbering them from
/// `first_line`.
pub(crate) fn split(
    bytes: &[u8],
    offset: usize,
    rows: NonZeroUsize,
    first_line: u64,
) -> Vec<Chunk> {
    let rows = rows.get();
    let mut chunks = Vec::new();
    let offset = offset.min(bytes.len());
    let mut start = offset;
    let mut line = first_line;
    let mut in_chunk = 0usize;
    let mut after_last_break = start;
    for nl in memchr::memchr_iter(b'\n', &bytes[offset..]).map(|i| i + offset) {
        in_chunk += 1;
        after_last_break = nl + 1;
        if in_chunk == rows {
            chunks.push(Chunk {
                start,
                end: nl + 1,
                first_line: line,
                lines: rows as u64,
            });
            line += rows as u64;
            start = nl + 1;
            in_chunk = 0;
        }
    }
    if after_last_break < bytes.len() {
        // The last line has no line break.
        in_chunk += 1;
    }
    if start < bytes.len() {
        chunks.push(Chunk {
            start,
            end: bytes.len(),
            first_line: line,
            lines: in_chunk as u64,
        });
    }
    chunks
}

/// One chunk, typed: the rows kept as a frame in Trusted names and types, and the
/// lines refused.
pub(crate) struct Parsed {
    pub frame: DataFrame,
    pub rejected: Vec<Rejected>,
}

enum Builder {
    Text(StringChunkedBuilder),
    Int32(PrimitiveChunkedBuilder<Int32Type>),
    Int64(PrimitiveChunkedBuilder<Int64Type>),
    Float64(PrimitiveChunkedBuilder<Float64Type>),
    List(ListStringChunkedBuilder),
}

impl Builder {
    fn new(kind: Kind, name: &str, capacity: usize) -> Self {
        let name = PlSmallStr::from(name);
        match kind {
            Kind::Text => Builder::Text(StringChunkedBuilder::new(name, capacity)),
            Kind::Int32 => Builder::Int32(PrimitiveChunkedBuilder::new(name, capacity)),
            Kind::Int64 => Builder::Int64(PrimitiveChunkedBuilder::new(name, capacity)),
            Kind::Float64 => Builder::Float64(PrimitiveChunkedBuilder::new(name, capacity)),
            Kind::List => {
                Builder::List(ListStringChunkedBuilder::new(name, capacity, capacity * 3))
            }
        }
    }

    fn push(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (Builder::Text(b), Cell::Text(v)) => b.append_value(v),
            (Builder::Text(b), _) => b.append_null(),
            (Builder::List(b), Cell::Text(v)) => b.append_values_iter(v.split(LIST_SEPARATOR)),
            (Builder::List(b), _) => b.append_null(),
            (Builder::Int32(b), Cell::Int32(v)) => b.append_value(v),
            (Builder::Int32(b), _) => b.append_null(),
            (Builder::Int64(b), Cell::Int64(v)) => b.append_value(v),
            (Builder::Int64(b), _) => b.append_null(),
            (Builder::Float64(b), Cell::Float64(v)) => b.append_value(v),
            (Builder::Float64(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Text(b) => b.finish().into_column(),
            Builder::Int32(b) => b.finish().into_column(),
            Builder::Int64(b) => b.finish().into_column(),
            Builder::Float64(b) => b.finish().into_column(),
            Builder::List(mut b) => b.finish().into_column(),
        }
    }
}

/// The Trusted schema of a source file, in file order.
pub(crate) fn schema(kind: CsvKind) -> Schema {
    Schema::from_iter(columns(kind).iter().map(|c| {
        let dtype = match c.kind {
            Kind::Text => DataType::String,
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Float64 => DataType::Float64,
            Kind::List => DataType::List(Box::new(DataType::String)),
        };
        Field::new(c.target.into(), dtype)
    }))
}

/// A field once read: `\N` and empty fields are null.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Null,
    Text(&'a str),
    Int32(i32),
    Int64(i64),
    Float64(f64),
}

fn cell<'a>(kind: Kind, field: &'a str) -> Result<Cell<'a>, &'static str> {
    if field.is_empty() || field == SOURCE_NULL {
        return Ok(Cell::Null);
    }
    // Athena's SQL says the same rules: crate::athena_select.
    let refused = || kind.parse_rule().unwrap_or_default();
    match kind {
        Kind::Text | Kind::List => Ok(Cell::Text(field)),
        Kind::Int32 => field.parse().map(Cell::Int32).map_err(|_| refused()),
        Kind::Int64 => field.parse().map(Cell::Int64).map_err(|_| refused()),
        // Rust reads "NaN", "inf" and "infinity" as numbers; a rating or a count is never
        // one of them, so they are refused like any other text.
        Kind::Float64 => field
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Cell::Float64)
            .ok_or_else(refused),
    }
}

/// Reads the lines of one chunk into typed columns; `key` names the file in rejects.
pub(crate) fn parse(
    bytes: &[u8],
    chunk: Chunk,
    kind: CsvKind,
    key: &str,
) -> Result<Parsed, TrustedError> {
    let cols = columns(kind);
    let expected = cols.len();
    let text = &bytes[chunk.start..chunk.end];
    let capacity = memchr::memchr_iter(b'\n', text).count() + 1;
    let mut builders: Vec<Builder> = cols
        .iter()
        .map(|c| Builder::new(c.kind, c.target, capacity))
        .collect();
    let mut rejected = Vec::new();
    let mut cells: Vec<Cell<'_>> = Vec::with_capacity(expected);
    let mut line_no = chunk.first_line;
    let mut start = 0usize;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let raw = &text[start..end];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        match read_line(raw, &cols, &mut cells) {
            Ok(()) => {
                for (b, c) in builders.iter_mut().zip(cells.iter()) {
                    b.push(*c);
                }
            }
            Err(reason) => rejected.push(Rejected {
                source: key.to_string(),
                line: Some(line_no),
                position: None,
                reason,
                raw: Some(String::from_utf8_lossy(raw).into_owned()),
                kept: false,
            }),
        }
        line_no += 1;
        start = end + 1;
    }
    let frame = DataFrame::new_infer_height(builders.into_iter().map(Builder::finish).collect())
        .context(|| format!("typing {key}"))?;
    Ok(Parsed { frame, rejected })
}

/// Checks one line and reads its fields into `cells`, or says every reason it is refused.
fn read_line<'a>(
    raw: &'a [u8],
    cols: &[crate::mapping::ColumnMap],
    cells: &mut Vec<Cell<'a>>,
) -> Result<(), String> {
    let line =
        std::str::from_utf8(raw).map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))?;
    cells.clear();
    let mut reasons: Vec<String> = Vec::new();
    let mut fields = 0usize;
    let mut start = 0usize;
    // `|` is ASCII, so it never falls inside a UTF-8 character: the byte positions memchr
    // finds are character boundaries of `line`.
    let ends = memchr::memchr_iter(b'|', raw).chain(std::iter::once(raw.len()));
    for (i, end) in ends.enumerate() {
        fields += 1;
        let field = line.get(start..end).unwrap_or_default();
        start = end + 1;
        let Some(c) = cols.get(i) else { continue };
        match cell(c.kind, field) {
            Ok(v) => cells.push(v),
            Err(what) => {
                cells.push(Cell::Null);
                reasons.push(format!("{}: \"{field}\" is not {what}", c.source));
            }
        }
    }
    if fields != cols.len() {
        return Err(format!("{fields} fields, expected {}", cols.len()));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    fn lines(text: &str, rows: usize) -> Vec<(String, u64, u64)> {
        let header = text.find('\n').map_or(text.len(), |i| i + 1);
        let chunks = split(text.as_bytes(), header, nz(rows), 2);
        chunks
            .iter()
            .map(|c| (text[c.start..c.end].to_string(), c.first_line, c.lines))
            .collect()
    }

    #[test]
    fn split_cuts_whole_lines_and_numbers_them() {
        let text = "h\na\nb\nc\nd\ne";
        assert_eq!(
            lines(text, 2),
            [
                ("a\nb\n".to_string(), 2, 2),
                ("c\nd\n".to_string(), 4, 2),
                ("e".to_string(), 6, 1)
            ]
        );
        let total = |b: &[u8], rows| {
            split(b, 2, nz(rows), 2)
                .iter()
                .map(|c| c.lines)
                .sum::<u64>()
        };
        assert_eq!(total(text.as_bytes(), 2), 5);
        assert_eq!(lines("h\na\nb\n", 2), [("a\nb\n".to_string(), 2, 2)]);
        assert_eq!(lines("h\na\nb\nc", 5), [("a\nb\nc".to_string(), 2, 3)]);
        assert_eq!(total(b"h\na\nb\n", 2), 2);
        assert_eq!(total(b"h\na\nb\nc\n", 2), 3);
        assert_eq!(total(b"h\na\nb\nc\n", 1), 3);
        assert_eq!(split(b"a\nb", 0, nz(1), 41)[1].first_line, 42);
    }

    #[test]
    fn nothing_to_split_is_no_chunk() {
        assert!(split(b"h\n", 2, nz(10), 2).is_empty());
        assert!(split(b"", 0, nz(10), 2).is_empty());
    }

    #[test]
    fn numbers_parse_or_say_why_not() {
        assert!(matches!(cell(Kind::Int32, "2001"), Ok(Cell::Int32(2001))));
        assert!(matches!(cell(Kind::Int32, "\\N"), Ok(Cell::Null)));
        assert!(matches!(cell(Kind::Float64, ""), Ok(Cell::Null)));
        assert!(matches!(cell(Kind::Float64, "7.5"), Ok(Cell::Float64(v)) if v == 7.5));
        assert_eq!(cell(Kind::Int32, "189A").err(), Some("a whole number"));
        assert_eq!(
            cell(Kind::Int32, "3000000000").err(),
            Some("a whole number")
        );
        assert_eq!(cell(Kind::Float64, "seven").err(), Some("a number"));
        for not_finite in [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "+infinity",
            "Infinity",
            "1e999",
        ] {
            assert_eq!(
                cell(Kind::Float64, not_finite).err(),
                Some("a number"),
                "{not_finite}"
            );
        }
        assert!(matches!(cell(Kind::Float64, "-0.5e1"), Ok(Cell::Float64(v)) if v == -5.0));
        assert!(matches!(cell(Kind::Text, "\"x\""), Ok(Cell::Text("\"x\""))));
    }

    #[test]
    fn a_line_is_refused_whole_with_every_reason() {
        let cols = columns(CsvKind::Movies);
        let mut cells = Vec::new();
        let good = "tt1|A|A|2001|\\N|Drama|7.5|10|actor|\"Bob\"|Ann|1970||actor|tt2";
        assert_eq!(read_line(good.as_bytes(), &cols, &mut cells), Ok(()));
        assert_eq!(cells.len(), 15);
        assert!(matches!(cells[9], Cell::Text("\"Bob\"")));
        assert!(matches!(cells[4], Cell::Null));
        assert!(matches!(cells[12], Cell::Null));
        let two = good.replace("|2001|", "|20x1|").replace("|7.5|", "|high|");
        assert_eq!(
            read_line(two.as_bytes(), &cols, &mut cells),
            Err("anoLancamento: \"20x1\" is not a whole number; notaMedia: \"high\" is not a number".into())
        );
        let short = "tt1|A|A";
        assert_eq!(
            read_line(short.as_bytes(), &cols, &mut cells),
            Err("3 fields, expected 15".into())
        );
        let mut latin1 = good.as_bytes().to_vec();
        latin1[5] = 0xE9;
        assert_eq!(
            read_line(&latin1, &cols, &mut cells),
            Err("not UTF-8 at byte 5".into())
        );
    }

    #[test]
    fn parsed_frames_have_the_declared_schema() {
        for kind in CsvKind::ALL {
            let bytes = format!("{}\n", kind.header());
            let chunk = Chunk {
                start: bytes.len(),
                end: bytes.len(),
                first_line: 2,
                lines: 0,
            };
            let p = parse(bytes.as_bytes(), chunk, kind, "k").unwrap();
            assert_eq!(p.frame.schema().as_ref(), &schema(kind));
        }
    }
}
