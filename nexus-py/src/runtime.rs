//! The process-wide tokio runtime for network work, and [`run_async`], the one helper that
//! every network call from Python goes through ([`run_cancellable`] for a sync, which Ctrl-C
//! stops cleanly).

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use nexus_core::Error;
use nexus_core::sync::Cancel;

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
    /// A signal handler raised (Ctrl-C: `KeyboardInterrupt`); the call was dropped, or, for
    /// a cancellable call, stopped cleanly first.
    Interrupted(PyErr),
}

/// Refuses a call made from inside the runtime: a progress, alert or secrets callback that
/// calls Nexus again would block one of the runtime's own threads on itself.
fn refuse_nested() -> PyResult<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a Nexus call was made from inside a Nexus callback (progress, on_alert or secrets); \
             keep the callback short and make the call after the one that invoked it returns",
        ));
    }
    Ok(())
}

/// Runs `future` on the runtime with the GIL released, looking for pending signals every
/// 100 ms. Without `cancel`, a signal handler that raises (Ctrl-C) drops the future at
/// once. With it, the first one triggers `cancel` and the future runs on until it stops
/// cleanly; a second one drops it.
fn drive<T, F>(py: Python<'_>, future: F, cancel: Option<Cancel>) -> PyResult<T>
where
    F: Future<Output = Result<T, Error>> + Send,
    T: Send,
{
    refuse_nested()?;
    let rt = runtime()?;
    let outcome = py.detach(move || {
        rt.block_on(async move {
            let mut future = std::pin::pin!(future);
            let mut interrupted: Option<PyErr> = None;
            loop {
                match tokio::time::timeout(SIGNAL_POLL, future.as_mut()).await {
                    Ok(result) => {
                        return match interrupted {
                            Some(e) => Outcome::Interrupted(e),
                            None => Outcome::Done(result),
                        };
                    }
                    Err(_) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            match (&cancel, interrupted.is_some()) {
                                (Some(c), false) => {
                                    c.cancel();
                                    interrupted = Some(e);
                                }
                                _ => return Outcome::Interrupted(e),
                            }
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
    drive(py, future, None)
}

/// [`run_async`] for work that stops cleanly (a sync): Ctrl-C triggers `cancel`, the work
/// finishes what it has in hand (the page being written), and then `KeyboardInterrupt` is
/// raised. A second Ctrl-C drops the work at once.
pub(crate) fn run_cancellable<T, F>(py: Python<'_>, cancel: Cancel, future: F) -> PyResult<T>
where
    F: Future<Output = Result<T, Error>> + Send,
    T: Send,
{
    drive(py, future, Some(cancel))
}
