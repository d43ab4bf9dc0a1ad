//! Generates sample `movies.csv` and `series.csv` in exactly the real files' format.
//! The files are deterministic for a seed, and at full scale by default. This data
//! feeds the demo, the tests and the benchmarks.
//!
//! The real files hold one row per (title, artist), sorted by id. Fields are
//! `|`-separated, lines end in CRLF, and `\N` stands for null. `genero`, `profissao`
//! and `titulosMaisConhecidos` hold comma lists. There is no quoting convention, so
//! titles may hold apostrophes, commas and a leading `"`.

mod rng;
mod words;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rng::Rng;

/// Data rows of the real `movies.csv`.
pub const FULL_MOVIES_ROWS: u64 = 1_045_161;
/// Data rows of the real `series.csv`.
pub const FULL_SERIES_ROWS: u64 = 468_783;

pub const MOVIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";
pub const SERIES_HEADER: &str = "id|tituloPincipal|tituloOriginal|anoLancamento|anoTermino|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";

#[derive(Debug, Clone, Copy)]
pub struct SampleSpec {
    pub movies_rows: u64,
    pub series_rows: u64,
    pub seed: u64,
    /// CRLF, as the real files; LF when false.
    pub crlf: bool,
}

impl Default for SampleSpec {
    fn default() -> Self {
        SampleSpec {
            movies_rows: FULL_MOVIES_ROWS,
            series_rows: FULL_SERIES_ROWS,
            seed: 42,
            crlf: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub rows: u64,
    pub titles: u64,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("writing sample {path}: {source}")]
pub struct SampleError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Writes `movies.csv` and `series.csv` into `dir` (created if needed).
pub fn write_dir(dir: &Path, spec: &SampleSpec) -> Result<[FileSummary; 2], SampleError> {
    std::fs::create_dir_all(dir).map_err(|source| SampleError {
        path: dir.to_path_buf(),
        source,
    })?;
    let movies = write_file(&dir.join("movies.csv"), Kind::Movies, spec)?;
    let series = write_file(&dir.join("series.csv"), Kind::Series, spec)?;
    Ok([movies, series])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Movies,
    Series,
}

fn write_file(path: &Path, kind: Kind, spec: &SampleSpec) -> Result<FileSummary, SampleError> {
    let err = |source| SampleError {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(err)?;
    let mut out = Counting {
        inner: BufWriter::with_capacity(1 << 20, file),
        bytes: 0,
    };
    let (rows, titles) = match kind {
        Kind::Movies => write_rows(&mut out, kind, spec.movies_rows, spec.seed, spec.crlf),
        Kind::Series => write_rows(
            &mut out,
            kind,
            spec.series_rows,
            spec.seed ^ 0x5e41e5,
            spec.crlf,
        ),
    }
    .map_err(err)?;
    out.inner.flush().map_err(err)?;
    Ok(FileSummary {
        path: path.to_path_buf(),
        rows,
        titles,
        bytes: out.bytes,
    })
}

struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The attributes of one title, shared by all its artist rows.
struct Title {
    id: String,
    principal: String,
    original: String,
    year: Option<u32>,
    end_year: Option<u32>,
    minutes: Option<u32>,
    genres: Option<String>,
    rating: f64,
    votes: u64,
}

fn write_rows<W: Write>(
    out: &mut W,
    kind: Kind,
    rows: u64,
    seed: u64,
    crlf: bool,
) -> io::Result<(u64, u64)> {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    out.write_all(
        match kind {
            Kind::Movies => MOVIES_HEADER,
            Kind::Series => SERIES_HEADER,
        }
        .as_bytes(),
    )?;
    out.write_all(eol)?;
    let mut rng = Rng::new(seed);
    // Artists recur across titles: a pool about a third the size of the rows.
    let pool = (rows / 3).max(50);
    let mut id_num: u64 = if kind == Kind::Movies { 9 } else { 25_509 };
    let mut written = 0u64;
    let mut titles = 0u64;
    let mut line = String::with_capacity(512);
    while written < rows {
        // Ids grow sparsely, as IMDb's do, past tt9999999 into eight digits.
        id_num += 1 + rng.below(if kind == Kind::Movies { 14 } else { 30 });
        let title = make_title(&mut rng, kind, id_num);
        titles += 1;
        let cast = (1 + rng.below(4) + rng.below(5)).min(rows - written);
        for _ in 0..cast {
            let artist = rng.below(pool);
            line.clear();
            push_row(&mut line, &mut rng, kind, &title, artist, seed);
            out.write_all(line.as_bytes())?;
            out.write_all(eol)?;
            written += 1;
        }
    }
    Ok((written, titles))
}

fn imdb_id(n: u64) -> String {
    format!("tt{n:07}")
}

fn make_title(rng: &mut Rng, kind: Kind, id_num: u64) -> Title {
    let principal = words::title(rng);
    let original = if rng.chance(0.7) {
        principal.clone()
    } else {
        words::title(rng)
    };
    let year = if rng.chance(0.002) {
        None
    } else {
        Some(match kind {
            // Most rated titles are recent; the 21st century holds over half.
            Kind::Movies if rng.chance(0.58) => 2000 + rng.below(24) as u32,
            Kind::Movies => 1894 + rng.below(106) as u32,
            Kind::Series if rng.chance(0.7) => 2000 + rng.below(24) as u32,
            Kind::Series => 1934 + rng.below(66) as u32,
        })
    };
    let end_year = match (kind, year) {
        (Kind::Series, Some(y)) if rng.chance(0.65) => Some((y + rng.below(12) as u32).min(2024)),
        _ => None,
    };
    let minutes = match kind {
        Kind::Movies if rng.chance(0.25) => None,
        Kind::Movies => Some((95.0 + rng.normal() * 22.0).clamp(40.0, 320.0) as u32),
        Kind::Series if rng.chance(0.1) => None,
        Kind::Series => Some((20 + rng.below(45)) as u32),
    };
    let genres = if rng.chance(0.05) {
        None
    } else {
        Some(words::genres(rng, kind == Kind::Series))
    };
    let rating = ((6.2 + rng.normal() * 1.25).clamp(1.0, 10.0) * 10.0).round() / 10.0;
    let votes = (5.0 + (rng.normal() * 1.9 + 4.3).exp()).min(2_900_000.0) as u64;
    Title {
        id: imdb_id(id_num),
        principal,
        original,
        year,
        end_year,
        minutes,
        genres,
        rating,
        votes,
    }
}

fn push_row(line: &mut String, rng: &mut Rng, kind: Kind, t: &Title, artist: u64, seed: u64) {
    use std::fmt::Write as _;
    // An artist's own attributes come from their id, so they agree across titles.
    let mut a = Rng::new(seed ^ artist.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let female = a.chance(0.42);
    let name = words::person(&mut a, female);
    let birth = if a.chance(0.35) {
        None
    } else {
        Some(
            t.year
                .unwrap_or(1980)
                .saturating_sub(18 + a.below(50) as u32),
        )
    };
    let death = match birth {
        Some(b) if b < 1945 && a.chance(0.8) => Some((b + 40 + a.below(55) as u32).min(2024)),
        Some(_) if a.chance(0.03) => Some(2000 + a.below(25) as u32),
        _ => None,
    };
    let professions = words::professions(&mut a, female);
    let known: Vec<String> = (0..1 + a.below(4))
        .map(|_| imdb_id(1 + a.below(12_000_000)))
        .collect();

    let _ = write!(line, "{}|{}|{}|", t.id, t.principal, t.original);
    push_opt(line, t.year);
    line.push('|');
    if kind == Kind::Series {
        push_opt(line, t.end_year);
        line.push('|');
    }
    push_opt(line, t.minutes);
    line.push('|');
    line.push_str(t.genres.as_deref().unwrap_or("\\N"));
    let _ = write!(line, "|{:.1}|{}|", t.rating, t.votes);
    line.push_str(if female { "actress" } else { "actor" });
    line.push('|');
    if rng.chance(0.38) {
        line.push_str("\\N");
    } else {
        line.push_str(&words::character(rng));
    }
    let _ = write!(line, "|{name}|");
    push_opt(line, birth);
    line.push('|');
    push_opt(line, death);
    let _ = write!(line, "|{professions}|");
    if rng.chance(0.01) {
        line.push_str("\\N");
    } else {
        // The title itself is usually among what the artist is known for.
        if rng.chance(0.6) {
            line.push_str(&t.id);
            line.push(',');
        }
        line.push_str(&known.join(","));
    }
}

fn push_opt(line: &mut String, v: Option<u32>) {
    use std::fmt::Write as _;
    match v {
        Some(v) => {
            let _ = write!(line, "{v}");
        }
        None => line.push_str("\\N"),
    }
}

#[cfg(test)]
mod tests;
