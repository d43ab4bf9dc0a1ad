//! Checks that a source file is what it claims to be. One streaming pass measures
//! everything the upload needs to trust the file: header, separator, UTF-8, rows, size
//! and SHA-256.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use cinelake_lake::source::CsvKind;
use cinelake_lake::store::FileDigest;
use sha2::{Digest, Sha256};

/// The longest header line accepted; the real ones are under 200 bytes.
const MAX_HEADER: usize = 64 * 1024;
/// Rows with a wrong field count listed in full; the rest are only counted.
pub const BAD_ROWS_LISTED: usize = 20;

#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Accept a file with a header and no rows.
    pub allow_empty: bool,
    /// Count the fields of every row and report rows with the wrong count.
    pub check_rows: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LineEnding {
    Lf,
    CrLf,
}

/// A data row whose field count is not the header's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub fields: usize,
}

/// What the check learnt of a good file.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub kind: CsvKind,
    pub path: PathBuf,
    pub digest: FileDigest,
    pub line_ending: LineEnding,
    /// Lines after the header (a final line end does not start a row).
    pub data_rows: u64,
    /// Set only with `check_rows`: rows with the wrong field count, the first few listed.
    pub bad_rows: Vec<BadRow>,
    pub bad_row_count: u64,
}

/// Why a file is refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{path}: file not found (expected the {kind} file here)")]
    Missing { kind: CsvKind, path: PathBuf },
    #[error("{path}: not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path}: empty file (0 bytes)")]
    Empty { path: PathBuf },
    #[error("{path}: header only, no data rows (pass --allow-empty to upload it anyway)")]
    HeaderOnly { path: PathBuf },
    #[error("{path}: not UTF-8: invalid byte at offset {offset} (line {line})")]
    NotUtf8 {
        path: PathBuf,
        offset: u64,
        line: u64,
    },
    #[error("{path}: starts with a UTF-8 byte-order mark; the {kind} file has none")]
    ByteOrderMark { kind: CsvKind, path: PathBuf },
    #[error("{path}: separated by {found}, not '|': this is not the {kind} file's format")]
    WrongSeparator {
        kind: CsvKind,
        path: PathBuf,
        found: &'static str,
    },
    #[error("{path}: wrong header for {kind}: {detail}")]
    WrongHeader {
        kind: CsvKind,
        path: PathBuf,
        detail: String,
    },
    #[error("{path}: {op}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Checks one source file in a single streaming pass.
pub fn check_file(
    kind: CsvKind,
    path: &Path,
    opts: CheckOptions,
) -> Result<CheckedFile, CheckError> {
    let io_err = |op| {
        move |source| CheckError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CheckError::Missing {
                kind,
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err("stat")(e)),
    };
    if !meta.is_file() {
        return Err(CheckError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() == 0 {
        return Err(CheckError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut file = File::open(path).map_err(io_err("open"))?;
    let mut scan = Scan::new(kind, opts.check_rows);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_err("read"))?;
        if n == 0 {
            break;
        }
        scan.feed(&buf[..n]).map_err(|f| f.into_error(kind, path))?;
    }
    scan.finish(kind, path, opts)
}

/// A failure found mid-stream, before the path is attached.
enum Found {
    NotUtf8 { offset: u64, line: u64 },
    Header(String),
}

impl Found {
    fn into_error(self, kind: CsvKind, path: &Path) -> CheckError {
        match self {
            Found::NotUtf8 { offset, line } => CheckError::NotUtf8 {
                path: path.to_path_buf(),
                offset,
                line,
            },
            Found::Header(header) => header_error(kind, path, &header),
        }
    }
}

struct Scan {
    expected_fields: usize,
    check_rows: bool,
    sha: Sha256,
    size: u64,
    /// Bytes of an incomplete UTF-8 sequence at the end of the previous chunk.
    utf8_tail: Vec<u8>,
    header: Option<Vec<u8>>,
    header_buf: Vec<u8>,
    line_ending: Option<LineEnding>,
    /// Line number of the line being read (1-based).
    line: u64,
    /// Fields seen so far on the current line (separators + 1).
    fields: usize,
    /// Whether the current line has any byte yet.
    line_started: bool,
    rows: u64,
    bad_rows: Vec<BadRow>,
    bad_row_count: u64,
}

impl Scan {
    fn new(kind: CsvKind, check_rows: bool) -> Self {
        Scan {
            expected_fields: kind.column_count(),
            check_rows,
            sha: Sha256::new(),
            size: 0,
            utf8_tail: Vec::new(),
            header: None,
            header_buf: Vec::new(),
            line_ending: None,
            line: 1,
            fields: 1,
            line_started: false,
            rows: 0,
            bad_rows: Vec::new(),
            bad_row_count: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Found> {
        self.check_utf8(chunk)?;
        self.sha.update(chunk);
        let mut rest = chunk;
        if self.header.is_none() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.header_buf.extend_from_slice(&rest[..i]);
                    self.end_header()?;
                    rest = &rest[i + 1..];
                }
                None => {
                    self.header_buf.extend_from_slice(rest);
                    if self.header_buf.len() > MAX_HEADER {
                        return Err(Found::Header(format!(
                            "no line end in the first {MAX_HEADER} bytes"
                        )));
                    }
                    rest = &[];
                }
            }
        }
        self.scan_rows(rest);
        self.size += chunk.len() as u64;
        Ok(())
    }

    fn end_header(&mut self) -> Result<(), Found> {
        let mut h = std::mem::take(&mut self.header_buf);
        self.line_ending = Some(if h.last() == Some(&b'\r') {
            h.pop();
            LineEnding::CrLf
        } else {
            LineEnding::Lf
        });
        self.line = 2;
        self.header = Some(h);
        Ok(())
    }

    fn scan_rows(&mut self, bytes: &[u8]) {
        if !self.check_rows {
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            self.rows += newlines;
            self.line += newlines;
            if let Some(&last) = bytes.last() {
                self.line_started = last != b'\n';
            }
            return;
        }
        for &b in bytes {
            match b {
                b'\n' => self.end_row(),
                b'|' => {
                    self.fields += 1;
                    self.line_started = true;
                }
                _ => self.line_started = true,
            }
        }
    }

    fn end_row(&mut self) {
        if self.fields != self.expected_fields {
            self.bad_row_count += 1;
            if self.bad_rows.len() < BAD_ROWS_LISTED {
                self.bad_rows.push(BadRow {
                    line: self.line,
                    fields: self.fields,
                });
            }
        }
        self.rows += 1;
        self.line += 1;
        self.fields = 1;
        self.line_started = false;
    }

    fn check_utf8(&mut self, chunk: &[u8]) -> Result<(), Found> {
        // Completes a sequence split across chunks before checking the rest.
        let mut start = 0;
        if !self.utf8_tail.is_empty() {
            let need = utf8_len(self.utf8_tail[0]).saturating_sub(self.utf8_tail.len());
            let take = need.min(chunk.len());
            self.utf8_tail.extend_from_slice(&chunk[..take]);
            start = take;
            match std::str::from_utf8(&self.utf8_tail) {
                Ok(_) => self.utf8_tail.clear(),
                Err(e) if e.error_len().is_none() && take == chunk.len() => return Ok(()),
                Err(_) => {
                    let offset = self.size - (self.utf8_tail.len() - take) as u64;
                    return Err(Found::NotUtf8 {
                        offset,
                        line: self.line_of(chunk, 0),
                    });
                }
            }
        }
        match std::str::from_utf8(&chunk[start..]) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.utf8_tail = chunk[start + e.valid_up_to()..].to_vec();
                Ok(())
            }
            Err(e) => {
                let at = start + e.valid_up_to();
                Err(Found::NotUtf8 {
                    offset: self.size + at as u64,
                    line: self.line_of(chunk, at),
                })
            }
        }
    }

    /// The line number of byte `at` of a chunk not yet scanned for rows.
    fn line_of(&self, chunk: &[u8], at: usize) -> u64 {
        let base = if self.header.is_none() { 1 } else { self.line };
        base + chunk[..at].iter().filter(|&&b| b == b'\n').count() as u64
    }

    fn finish(
        mut self,
        kind: CsvKind,
        path: &Path,
        opts: CheckOptions,
    ) -> Result<CheckedFile, CheckError> {
        if !self.utf8_tail.is_empty() {
            return Err(CheckError::NotUtf8 {
                path: path.to_path_buf(),
                offset: self.size - self.utf8_tail.len() as u64,
                line: self.line,
            });
        }
        if self.header.is_none() {
            // A file of one line with no line end: the header alone.
            self.end_header().map_err(|f| f.into_error(kind, path))?;
            self.line_started = false;
        }
        let header = self.header.take().unwrap_or_default();
        let header = String::from_utf8_lossy(&header).into_owned();
        if header != kind.header() {
            return Err(header_error(kind, path, &header));
        }
        if self.line_started {
            // The last row has no line end.
            if self.check_rows {
                self.end_row();
            } else {
                self.rows += 1;
            }
        }
        if self.rows == 0 && !opts.allow_empty {
            return Err(CheckError::HeaderOnly {
                path: path.to_path_buf(),
            });
        }
        Ok(CheckedFile {
            kind,
            path: path.to_path_buf(),
            digest: FileDigest {
                size: self.size,
                sha256: self.sha.finalize().into(),
            },
            line_ending: self.line_ending.unwrap_or(LineEnding::Lf),
            data_rows: self.rows,
            bad_rows: self.bad_rows,
            bad_row_count: self.bad_row_count,
        })
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Explains how a header differs from the expected one, as precisely as it can.
fn header_error(kind: CsvKind, path: &Path, header: &str) -> CheckError {
    let path = path.to_path_buf();
    if header.strip_prefix('\u{feff}') == Some(kind.header()) {
        return CheckError::ByteOrderMark { kind, path };
    }
    if !header.contains('|') {
        for (sep, name) in [(',', "commas"), (';', "semicolons"), ('\t', "tabs")] {
            if header.matches(sep).count() >= 2 {
                return CheckError::WrongSeparator {
                    kind,
                    path,
                    found: name,
                };
            }
        }
    }
    let other = match kind {
        CsvKind::Movies => CsvKind::Series,
        CsvKind::Series => CsvKind::Movies,
    };
    if header == other.header() {
        return CheckError::WrongHeader {
            kind,
            path,
            detail: format!(
                "this is the {other} header ({} columns); is the file misnamed?",
                other.column_count()
            ),
        };
    }
    let found: Vec<&str> = header.split('|').collect();
    let expected: Vec<&str> = kind.columns().collect();
    let detail = match expected.iter().zip(&found).position(|(e, f)| e != f) {
        Some(i) => format!(
            "column {} is {:?}, expected {:?} ({} columns found, {} expected)",
            i + 1,
            truncate(found[i]),
            expected[i],
            found.len(),
            expected.len()
        ),
        None => format!("{} columns found, {} expected", found.len(), expected.len()),
    };
    CheckError::WrongHeader { kind, path, detail }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}
