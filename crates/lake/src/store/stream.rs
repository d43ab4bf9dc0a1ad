//! An object read piece by piece, so that a job need not hold a large file whole.

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;

use crate::{Error, Result};

/// Bytes asked of a local file at a time.
const LOCAL_READ: usize = 4 << 20;

/// The pieces of one object, in order; see [`super::Store::get_stream`].
pub struct ObjectStream {
    inner: Inner,
}

enum Inner {
    Local {
        file: tokio::fs::File,
        path: std::path::PathBuf,
    },
    S3 {
        body: aws_sdk_s3::primitives::ByteStream,
        bucket: String,
        key: String,
    },
    /// Given pieces, for tests of readers that must not care where the seams fall.
    Pieces(std::vec::IntoIter<Bytes>),
}

impl ObjectStream {
    pub(super) fn local(file: tokio::fs::File, path: std::path::PathBuf) -> Self {
        ObjectStream {
            inner: Inner::Local { file, path },
        }
    }

    pub(super) fn s3(
        body: aws_sdk_s3::primitives::ByteStream,
        bucket: String,
        key: String,
    ) -> Self {
        ObjectStream {
            inner: Inner::S3 { body, bucket, key },
        }
    }

    /// A stream of the given pieces.
    pub fn from_pieces(pieces: Vec<Bytes>) -> Self {
        ObjectStream {
            inner: Inner::Pieces(pieces.into_iter()),
        }
    }

    /// The next piece, or `None` at the end of the object.
    pub async fn next(&mut self) -> Result<Option<Bytes>> {
        match &mut self.inner {
            Inner::Local { file, path } => {
                let mut buf = BytesMut::with_capacity(LOCAL_READ);
                while buf.len() < LOCAL_READ {
                    let n = file
                        .read_buf(&mut buf)
                        .await
                        .map_err(|e| Error::io("read", path.clone(), e))?;
                    if n == 0 {
                        break;
                    }
                }
                Ok((!buf.is_empty()).then(|| buf.freeze()))
            }
            Inner::S3 { body, bucket, key } => body.try_next().await.map_err(|e| Error::S3 {
                op: "GetObject (body)",
                bucket: bucket.clone(),
                key: key.clone(),
                message: e.to_string(),
            }),
            Inner::Pieces(p) => Ok(p.next()),
        }
    }
}
