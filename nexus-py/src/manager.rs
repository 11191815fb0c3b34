//! The manager as Python sees it: `_Manager` (a registry of stores with its database) and
//! `_Cancel` (a token that stops a sync cleanly).
//!
//! Both are private: `nexus.Manager` and `nexus.Cancel` wrap them. Results cross the
//! boundary as the JSON text of the core's serde types, which the Python layer turns into
//! its dataclasses. Callbacks (progress, alerts, secrets) are called from Nexus's threads
//! with the GIL taken for the call; the progress callback gets the event as JSON text, the
//! alert callback the alert as JSON text.
//!
//! An exception raised by a callback cannot travel through the core: it is kept, and raised
//! by the call that invoked the callback once that call has returned (a progress callback's
//! exception also cancels the sync, cleanly, at once).

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use nexus_core::Error;
use nexus_core::manager::{Manager, ManagerOptions};
use nexus_core::store::ReadFilter;
use nexus_core::sync::{Cancel, SyncReport};

use crate::runtime::{run_async, run_cancellable};

/// The first exception a callback raised during a call, raised when the call returns.
#[derive(Clone, Default)]
struct Raised(Arc<Mutex<Option<PyErr>>>);

impl Raised {
    /// Keeps `err` unless an earlier one is kept.
    fn keep(&self, err: PyErr) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(err);
    }

    /// Raises the kept exception, if any, instead of `result`.
    fn check<T>(&self, result: PyResult<T>) -> PyResult<T> {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(err) => Err(err),
            None => result,
        }
    }
}

/// JSON text of a core value, as a `Result<String, Error>` (every type passed here is
/// plain data that serializes; a macro, so that this crate needs no `serde` of its own).
macro_rules! json {
    ($value:expr) => {
        serde_json::to_string(&$value).map_err(|e| Error::InvalidArgument {
            name: "result",
            message: format!("could not be written as JSON: {e}"),
        })
    };
}

/// A token that stops a sync cleanly (private: use `nexus.Cancel`).
#[pyclass(module = "nexus._nexus", name = "_Cancel", frozen)]
pub(crate) struct PyCancel {
    token: Cancel,
}

#[pymethods]
impl PyCancel {
    /// A new, untriggered token.
    #[new]
    fn new() -> Self {
        PyCancel {
            token: Cancel::new(),
        }
    }

    /// Triggers it: the syncs using it finish the pages being written, then stop.
    fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether it was triggered.
    #[getter]
    fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// A registry of stores and its database (private: use `nexus.Manager`).
#[pyclass(module = "nexus._nexus", name = "_Manager", frozen)]
pub(crate) struct PyManager {
    manager: Arc<Manager>,
    raised: Raised,
}

impl PyManager {
    /// Runs a manager call; an exception a callback raised meanwhile wins over its result.
    fn call<T, F>(&self, py: Python<'_>, future: F) -> PyResult<T>
    where
        F: Future<Output = Result<T, Error>> + Send,
        T: Send,
    {
        self.raised.check(run_async(py, future))
    }
}

/// Asks the host's secrets callable for a secret: a `str`, or `None` when it has none.
fn ask_secret(py: Python<'_>, f: &Py<PyAny>, name: &str) -> PyResult<Option<String>> {
    let value = f.call1(py, (name,))?;
    value.extract::<Option<String>>(py).map_err(|_| {
        let kind = value.bind(py).get_type().name().map(|n| n.to_string());
        PyTypeError::new_err(format!(
            "the secrets callback must return a str or None for {name:?}, not {}",
            kind.unwrap_or_else(|_| "?".into())
        ))
    })
}

/// The filter of the record accessors.
fn filter(stores: Option<Vec<String>>, platform: Option<&str>) -> Result<ReadFilter, Error> {
    Ok(ReadFilter {
        stores: stores.unwrap_or_default(),
        platform: platform.map(str::parse).transpose()?,
    })
}

#[pymethods]
impl PyManager {
    /// Opens a registry file and its database (created and migrated when needed).
    ///
    /// `secrets(name)` resolves `secret:NAME` references (a `str`, or `None` when it has
    /// no such secret); `on_alert(json)` gets every alert raised after a sync.
    #[staticmethod]
    #[pyo3(signature = (path, *, database=None, secrets=None, on_alert=None))]
    fn from_toml(
        py: Python<'_>,
        path: PathBuf,
        database: Option<String>,
        secrets: Option<Py<PyAny>>,
        on_alert: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let raised = Raised::default();
        let mut options = ManagerOptions {
            database,
            ..ManagerOptions::default()
        };
        if let Some(f) = secrets {
            let raised = raised.clone();
            options.secrets = Some(Arc::new(move |name: &str| {
                Python::attach(|py| {
                    ask_secret(py, &f, name).unwrap_or_else(|e| {
                        raised.keep(e);
                        None
                    })
                })
            }));
        }
        if let Some(f) = on_alert {
            let raised = raised.clone();
            options.on_alert = Some(Arc::new(move |alert| {
                let Ok(text) = serde_json::to_string(alert) else {
                    return;
                };
                Python::attach(|py| {
                    if let Err(e) = f.call1(py, (text,)) {
                        raised.keep(e);
                    }
                });
            }));
        }
        let manager = run_async(py, Manager::from_toml(path, options))?;
        Ok(PyManager {
            manager: Arc::new(manager),
            raised,
        })
    }

    /// The stores, as the JSON text of a list of `StoreEntry`.
    fn stores(&self, py: Python<'_>) -> PyResult<String> {
        crate::run(py, || json!(self.manager.stores()))
    }

    /// Checks the connection and credentials of some stores (all when `None`),
    /// concurrently; the JSON text of a list of `CheckResult`.
    #[pyo3(signature = (stores=None))]
    fn check(&self, py: Python<'_>, stores: Option<Vec<String>>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move {
            let names: Option<Vec<&str>> = stores
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect());
            json!(m.check(names.as_deref()).await?)
        })
    }

    /// Syncs some stores (all when `None`), concurrently; the JSON text of the
    /// `SyncReport`. `progress(json)` gets every progress event (never two at once).
    /// Ctrl-C (or `cancel`) stops the sync cleanly; Ctrl-C then raises
    /// `KeyboardInterrupt`.
    #[pyo3(signature = (stores=None, *, progress=None, cancel=None))]
    fn sync(
        &self,
        py: Python<'_>,
        stores: Option<Vec<String>>,
        progress: Option<Py<PyAny>>,
        cancel: Option<PyRef<'_, PyCancel>>,
    ) -> PyResult<String> {
        let token = cancel.map(|c| c.token.clone()).unwrap_or_default();
        let progress: Option<nexus_core::sync::ProgressFn> = progress.map(|f| {
            let raised = self.raised.clone();
            let token = token.clone();
            // One event at a time, in order, whatever thread sends it.
            let f = Mutex::new(f);
            let callback: nexus_core::sync::ProgressFn = Arc::new(move |event| {
                let Ok(text) = serde_json::to_string(event) else {
                    return;
                };
                let f = f.lock().unwrap_or_else(|p| p.into_inner());
                Python::attach(|py| {
                    if let Err(e) = f.call1(py, (text,)) {
                        raised.keep(e);
                        token.cancel();
                    }
                });
            });
            callback
        });
        let m = self.manager.clone();
        let run = token.clone();
        let result = run_cancellable(py, token, async move {
            let names: Option<Vec<&str>> = stores
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect());
            json!(m.sync_with(names.as_deref(), progress, run).await?)
        });
        self.raised.check(result)
    }

    /// The health of every store, as the JSON text of a `HealthReport`.
    fn health(&self, py: Python<'_>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move { json!(m.health().await?) })
    }

    /// The alerts the rules raise now, as the JSON text of a list of `Alert`.
    fn alerts(&self, py: Python<'_>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move { json!(m.alerts().await?) })
    }

    /// The latest run of each store, as the JSON text of a list of `StoreReport`.
    fn report(&self, py: Python<'_>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move { json!(m.report().await?) })
    }

    /// A quality report of the stored records (one store's, checked with its rules, or
    /// all), as JSON text.
    #[pyo3(signature = (store=None))]
    fn quality_report(&self, py: Python<'_>, store: Option<String>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move {
            Ok(m.quality_report(store.as_deref()).await?.to_json())
        })
    }

    /// Customers matched across stores by email, as the JSON text of a list of
    /// `CrossStoreCustomer`.
    fn customers_across(&self, py: Python<'_>) -> PyResult<String> {
        let m = self.manager.clone();
        self.call(py, async move { json!(m.customers_across().await?) })
    }

    /// Stored records of one kind, as JSON text: `orders`, `customers`, `products`,
    /// `refunds` (unified records), `transactions` (`TransactionRow`s), `quarantined`
    /// (`Quarantined` entries) or `counts` (one `Counts` object).
    #[pyo3(signature = (kind, *, stores=None, platform=None))]
    fn records(
        &self,
        py: Python<'_>,
        kind: &str,
        stores: Option<Vec<String>>,
        platform: Option<&str>,
    ) -> PyResult<String> {
        let filter = filter(stores, platform).map_err(|e| crate::errors::to_py_err(py, e))?;
        let db = self.manager.database().clone();
        let kind = kind.to_owned();
        self.call(py, async move {
            match kind.as_str() {
                "orders" => json!(db.orders(&filter).await?),
                "customers" => json!(db.customers(&filter).await?),
                "products" => json!(db.products(&filter).await?),
                "refunds" => json!(db.refunds(&filter).await?),
                "transactions" => json!(db.transactions(&filter).await?),
                "quarantined" => json!(db.quarantined(&filter).await?),
                "counts" => json!(db.counts(&filter).await?),
                other => Err(Error::InvalidArgument {
                    name: "kind",
                    message: format!("no stored records of kind {other:?}"),
                }),
            }
        })
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self.manager.stores().into_iter().map(|s| s.name).collect();
        format!("<nexus._nexus._Manager stores={names:?}>")
    }
}

/// The plain-text table of a sync report given as JSON text (`SyncReport::to_text`).
#[pyfunction]
pub(crate) fn sync_report_text(py: Python<'_>, report_json: &str) -> PyResult<String> {
    crate::run(py, || {
        serde_json::from_str::<SyncReport>(report_json)
            .map(|r| r.to_text())
            .map_err(|e| Error::InvalidArgument {
                name: "report",
                message: format!("not a Nexus sync report: {e}"),
            })
    })
}
