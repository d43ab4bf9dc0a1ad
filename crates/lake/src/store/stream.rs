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
                source: Box::new(e),
            }),
            Inner::Pieces(p) => Ok(p.next()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{S3Store, Store};
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use tokio::io::AsyncWriteExt;

    /// An S3 endpoint that answers every request with the start of a 1 MB body, then
    /// drops the connection: the server died mid-download.
    async fn dying_server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 1048576\r\n\r\n";
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&[b'x'; 1000]).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn a_download_cut_short_is_an_error_naming_the_object() {
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(dying_server().await)
            .force_path_style(true)
            .credentials_provider(Credentials::new("k", "s", None, None, "test"))
            .build();
        let store = Store::S3(S3Store::from_client(
            aws_sdk_s3::Client::from_conf(config),
            "lake",
            "",
        ));
        let mut stream = store.get_stream("Raw/movies.csv").await.unwrap();
        let mut got = 0;
        let err = loop {
            match stream.next().await {
                Ok(Some(piece)) => got += piece.len(),
                Ok(None) => panic!("the stream ended cleanly after {got} bytes"),
                Err(e) => break e,
            }
        };
        assert!(got <= 1000, "{got} bytes");
        let msg = err.to_string();
        assert!(
            msg.contains("GetObject (body) s3://lake/Raw/movies.csv"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn a_local_file_comes_in_pieces_that_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let body: Vec<u8> = (0..(LOCAL_READ * 2 + 10))
            .map(|i| (i % 251) as u8)
            .collect();
        store
            .put("a/b.bin", Bytes::from(body.clone()))
            .await
            .unwrap();
        let mut stream = store.get_stream("a/b.bin").await.unwrap();
        let mut back = Vec::new();
        let mut pieces = 0;
        while let Some(p) = stream.next().await.unwrap() {
            back.extend_from_slice(&p);
            pieces += 1;
        }
        assert_eq!(back, body);
        assert_eq!(pieces, 3);
        let missing = store.get_stream("a/none.bin").await.err().unwrap();
        assert!(missing.is_not_found(), "{missing}");
    }
}
