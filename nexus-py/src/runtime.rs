//! The process-wide tokio runtime for network work, and [`run_async`], the one helper that
//! every network call from Python goes through.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use nexus_core::Error;

/// How often a waiting call looks for Ctrl-C (and other signal handlers).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started on first use. Its two worker threads drive the connectors' I/O
/// (timers, sockets); the calling thread waits on the request itself.
fn runtime() -> PyResult<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("nexus-io")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("could not start the I/O runtime: {e}")))?;
    // Two threads may race to start it: one runtime wins, the other is dropped unused.
    let _ = RUNTIME.set(rt);
    Ok(RUNTIME.get().expect("the runtime was just set"))
}

/// How a call on the runtime ended.
enum Outcome<T> {
    Done(Result<T, Error>),
    /// A signal handler raised (Ctrl-C: `KeyboardInterrupt`); the call was dropped.
    Interrupted(PyErr),
}

/// Runs a core future to completion on the runtime with the GIL released, and turns its
/// error into a Python exception.
///
/// Every network call from Python goes through here. While the future runs, the calling
/// thread looks for pending signals every 100 ms, so Ctrl-C interrupts a long read (the
/// request in flight is dropped) instead of waiting for it.
pub(crate) fn run_async<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = Result<T, Error>> + Send,
    T: Send,
{
    let rt = runtime()?;
    let outcome = py.detach(move || {
        rt.block_on(async move {
            let mut future = std::pin::pin!(future);
            loop {
                match tokio::time::timeout(SIGNAL_POLL, future.as_mut()).await {
                    Ok(result) => return Outcome::Done(result),
                    Err(_) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            return Outcome::Interrupted(e);
                        }
                    }
                }
            }
        })
    });
    match outcome {
        Outcome::Done(result) => result.map_err(|e| crate::errors::to_py_err(py, e)),
        Outcome::Interrupted(e) => Err(e),
    }
}
