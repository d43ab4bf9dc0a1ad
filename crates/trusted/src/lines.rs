//! Whole lines of an object, read from its stream a batch at a time, so that a job holds a
//! slice of a large file and never the whole of it.

use std::num::NonZeroUsize;

use cinelake_lake::ObjectStream;

use crate::TrustedError;

/// A batch of whole lines, and the 1-based line number of its first.
pub(crate) struct Batch {
    pub bytes: Vec<u8>,
    pub first_line: u64,
}

pub(crate) struct Lines {
    stream: ObjectStream,
    buf: Vec<u8>,
    /// Line breaks in `buf[..scanned]`.
    breaks: usize,
    scanned: usize,
    eof: bool,
    next_line: u64,
}

impl Lines {
    pub fn new(stream: ObjectStream) -> Self {
        Lines {
            stream,
            buf: Vec::new(),
            breaks: 0,
            scanned: 0,
            eof: false,
            next_line: 1,
        }
    }

    /// Reads until `buf` holds `n` line breaks or the object ends.
    async fn fill(&mut self, n: usize) -> Result<(), TrustedError> {
        loop {
            self.breaks += memchr::memchr_iter(b'\n', &self.buf[self.scanned..]).count();
            self.scanned = self.buf.len();
            if self.breaks >= n || self.eof {
                return Ok(());
            }
            match self.stream.next().await? {
                Some(piece) => self.buf.extend_from_slice(&piece),
                None => self.eof = true,
            }
        }
    }

    /// The next `n` lines, each with its line break (the object's last line may have
    /// none); fewer at the end of the object, and an empty batch after it.
    pub async fn take(&mut self, n: NonZeroUsize) -> Result<Batch, TrustedError> {
        let n = n.get();
        self.fill(n).await?;
        let (cut, lines) = if self.breaks >= n {
            let at = memchr::memchr_iter(b'\n', &self.buf)
                .nth(n - 1)
                .map_or(self.buf.len(), |i| i + 1);
            (at, n)
        } else {
            let unterminated = self.buf.last().is_some_and(|&b| b != b'\n');
            (self.buf.len(), self.breaks + usize::from(unterminated))
        };
        let rest = self.buf.split_off(cut);
        let bytes = std::mem::replace(&mut self.buf, rest);
        self.breaks = memchr::memchr_iter(b'\n', &self.buf).count();
        self.scanned = self.buf.len();
        let first_line = self.next_line;
        self.next_line += lines as u64;
        Ok(Batch { bytes, first_line })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    /// Every way of reading `text`, cut into pieces of `piece` bytes, `n` lines at a time.
    async fn batches(text: &str, piece: usize, n: usize) -> Vec<(String, u64)> {
        let pieces = text
            .as_bytes()
            .chunks(piece)
            .map(Bytes::copy_from_slice)
            .collect();
        let mut lines = Lines::new(ObjectStream::from_pieces(pieces));
        let mut out = Vec::new();
        loop {
            let b = lines.take(NonZeroUsize::new(n).unwrap()).await.unwrap();
            if b.bytes.is_empty() {
                return out;
            }
            out.push((String::from_utf8(b.bytes).unwrap(), b.first_line));
        }
    }

    #[tokio::test]
    async fn batches_are_whole_lines_wherever_the_pieces_end() {
        for text in ["h\na\nb\r\nc\nd", "h\na\nb\r\nc\nd\n"] {
            for piece in [1, 2, 3, 5, 100] {
                let got = batches(text, piece, 2).await;
                let want = [
                    ("h\na\n".to_string(), 1),
                    ("b\r\nc\n".to_string(), 3),
                    (text[9..].to_string(), 5),
                ];
                assert_eq!(got, want, "{text:?} in pieces of {piece}");
                let one = batches(text, piece, 1).await;
                assert_eq!(one.len(), 5);
                assert_eq!(
                    one.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
                    [1, 2, 3, 4, 5]
                );
            }
        }
        assert!(batches("", 4, 3).await.is_empty());
        assert_eq!(batches("only", 2, 3).await, [("only".to_string(), 1)]);
    }
}
