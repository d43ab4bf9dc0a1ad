//! A temporary file for the Parquet a job writes, so large output never sits in memory.
//!
//! The Parquet goes to the file as it is encoded, and is hashed on the way. It is
//! published from there in parts. So the output of a large file is never in memory
//! whole. At ten times the real size it would be about 260 MB. The file lives in the
//! system's temporary directory. On AWS that is the Lambda's ephemeral storage.

use std::io::{BufWriter, Write};

use cinelake_lake::store::FileDigest;
use sha2::{Digest, Sha256};

/// A temporary file being written, with the size and SHA-256 of what went in.
pub struct Spool {
    file: BufWriter<tempfile::NamedTempFile>,
    sha256: Sha256,
    size: u64,
}

impl Spool {
    pub fn new() -> std::io::Result<Self> {
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 20, tempfile::NamedTempFile::new()?),
            sha256: Sha256::new(),
            size: 0,
        })
    }

    /// The written file (removed when dropped) and its digest.
    pub fn finish(self) -> std::io::Result<(tempfile::NamedTempFile, FileDigest)> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        Ok((
            file,
            FileDigest {
                size: self.size,
                sha256: self.sha256.finalize().into(),
            },
        ))
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_what_was_written_and_its_digest_says_so() {
        let mut spool = Spool::new().unwrap();
        spool.write_all(b"PAR1").unwrap();
        spool.write_all(&[7u8; 3_000_000]).unwrap();
        let (file, digest) = spool.finish().unwrap();
        let bytes = std::fs::read(file.path()).unwrap();
        assert_eq!(bytes.len() as u64, digest.size);
        assert_eq!(digest.size, 3_000_004);
        assert_eq!(digest.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists(), "the temporary file is removed");
    }
}
