//! TCP connections the gate can cut. [`crate::Failure::DropAfterCommit`] must end a connection
//! without an answer, and an axum handler cannot do that: hyper writes whatever it returns.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections, each with its own [`Cut`] switch.
pub(crate) struct CuttableListener(pub TcpListener);

/// Reaches the gate as `ConnectInfo<Cut>`. Once flipped, every read and write of the connection
/// fails, so hyper closes it instead of writing the answer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cut(Arc<AtomicBool>);

impl Cut {
    pub fn cut(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

pub(crate) struct CuttableStream {
    stream: TcpStream,
    cut: Cut,
}

impl CuttableStream {
    /// The socket, unless the connection has been cut.
    fn live(self: Pin<&mut Self>) -> io::Result<Pin<&mut TcpStream>> {
        let this = self.get_mut();
        if this.cut.0.load(Ordering::SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "planfix-sim: connection cut by Failure::DropAfterCommit",
            ));
        }
        Ok(Pin::new(&mut this.stream))
    }
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop: it logs and retries accept errors.
        let (stream, addr) = Listener::accept(&mut self.0).await;
        let cut = Cut::default();
        (CuttableStream { stream, cut }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.io().cut.clone()
    }
}

impl AsyncRead for CuttableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.live()?.poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.live()?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.live()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.live()?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.live()?.poll_shutdown(cx)
    }
}
