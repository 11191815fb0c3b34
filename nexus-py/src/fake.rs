//! `_FakeStore`: a fake WooCommerce, Shopify or Magento 2 store on 127.0.0.1, from
//! `nexus-fake` (private: `nexus.testing.FakeStore` wraps it).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use nexus_core::Error;
use nexus_core::model::{EntityKind, PlatformKind};
use nexus_fake::{FakeConfig, FakeRate, FakeStore, Fault, Sizes};

/// Reads a fault as Python spells it (see `Fault`'s `FromStr` in nexus-fake).
fn parse_fault(text: &str) -> Result<Fault, Error> {
    text.parse().map_err(|message| Error::InvalidArgument {
        name: "faults",
        message,
    })
}

fn parse_faults(faults: Option<BTreeMap<u64, String>>) -> Result<BTreeMap<u64, Fault>, Error> {
    faults
        .unwrap_or_default()
        .into_iter()
        .map(|(n, f)| Ok((n, parse_fault(&f)?)))
        .collect()
}

/// A fake store serving its platform's real protocol on 127.0.0.1, on its own thread
/// (private: use `nexus.testing.FakeStore`).
#[pyclass(module = "nexus._nexus", name = "_FakeStore", frozen)]
pub(crate) struct PyFakeStore {
    platform: PlatformKind,
    url: String,
    store: Mutex<Option<FakeStore>>,
}

impl PyFakeStore {
    fn with<T>(&self, f: impl FnOnce(&FakeStore) -> T) -> PyResult<T> {
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(store) => Ok(f(store)),
            None => Err(PyValueError::new_err("the fake store is closed")),
        }
    }
}

#[pymethods]
impl PyFakeStore {
    /// Starts a fake store on a free port of 127.0.0.1.
    #[new]
    #[pyo3(signature = (
        platform, *, orders=250, customers=60, products=40, seed=7, rate_per_minute=None,
        shopify_bucket=false, faults=None, dirt=0.0,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        platform: &str,
        orders: usize,
        customers: usize,
        products: usize,
        seed: u64,
        rate_per_minute: Option<u32>,
        shopify_bucket: bool,
        faults: Option<BTreeMap<u64, String>>,
        dirt: f64,
    ) -> PyResult<Self> {
        let config = (|| {
            if !(0.0..=1.0).contains(&dirt) {
                return Err(Error::InvalidArgument {
                    name: "dirt",
                    message: format!("is a share between 0 and 1, not {dirt}"),
                });
            }
            let platform: PlatformKind = platform.parse()?;
            if rate_per_minute.is_some() && shopify_bucket {
                return Err(Error::InvalidArgument {
                    name: "rate_per_minute",
                    message: "give rate_per_minute or shopify_bucket, not both".into(),
                });
            }
            let rate = match (rate_per_minute, shopify_bucket) {
                (Some(0), _) => {
                    return Err(Error::InvalidArgument {
                        name: "rate_per_minute",
                        message: "must be at least 1".into(),
                    });
                }
                (Some(n), _) => Some(FakeRate::PerMinute(n)),
                (None, true) => Some(FakeRate::SHOPIFY),
                (None, false) => None,
            };
            let config = FakeConfig {
                sizes: Sizes {
                    orders,
                    customers,
                    products,
                    seed,
                },
                rate,
                faults: parse_faults(faults)?,
                dirt,
                ..FakeConfig::default()
            };
            Ok((platform, config))
        })();
        let (platform, config) = config.map_err(|e| crate::errors::to_py_err(py, e))?;
        let store = py
            .detach(|| FakeStore::spawn(platform, config))
            .map_err(|e| PyOSError::new_err(format!("could not start the fake store: {e}")))?;
        Ok(PyFakeStore {
            platform,
            url: store.url().to_owned(),
            store: Mutex::new(Some(store)),
        })
    }

    /// The platform served.
    #[getter]
    fn platform(&self) -> &'static str {
        self.platform.as_str()
    }

    /// The store's address, `http://127.0.0.1:<port>`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The credentials the store accepts, by name.
    fn credentials(&self) -> PyResult<HashMap<&'static str, String>> {
        self.with(|s| {
            let c = s.credentials().clone();
            HashMap::from([
                ("consumer_key", c.consumer_key),
                ("consumer_secret", c.consumer_secret),
                ("access_token", c.access_token),
                ("username", c.username),
                ("password", c.password),
                ("oauth_consumer_key", c.oauth_consumer_key),
                ("oauth_consumer_secret", c.oauth_consumer_secret),
                ("oauth_token", c.oauth_token),
                ("oauth_token_secret", c.oauth_token_secret),
            ])
        })
    }

    /// The ids of every record of `entity` the store holds now.
    fn ids(&self, py: Python<'_>, entity: &str) -> PyResult<HashSet<String>> {
        let entity: EntityKind = entity
            .parse()
            .map_err(|e| crate::errors::to_py_err(py, e))?;
        self.with(|s| s.ids(entity))
    }

    /// Modifies `modify` orders and inserts `insert` new ones; returns their ids.
    #[pyo3(signature = (modify, insert=0))]
    fn mutate(&self, modify: usize, insert: usize) -> PyResult<HashSet<String>> {
        self.with(|s| s.mutate(modify, insert))
    }

    /// Deletes `n` records of `entity`; returns their ids.
    fn delete(&self, py: Python<'_>, entity: &str, n: usize) -> PyResult<HashSet<String>> {
        let entity: EntityKind = entity
            .parse()
            .map_err(|e| crate::errors::to_py_err(py, e))?;
        self.with(|s| s.delete(entity, n))
    }

    /// What the store has seen: requests, rate_limited, auth_failures, tokens_issued.
    fn stats(&self) -> PyResult<HashMap<&'static str, u64>> {
        self.with(|s| {
            let st = s.stats();
            HashMap::from([
                ("requests", st.requests),
                ("rate_limited", st.rate_limited),
                ("auth_failures", st.auth_failures),
                ("tokens_issued", st.tokens_issued),
            ])
        })
    }

    /// Replaces the faults to inject, counted from the next request.
    fn set_faults(&self, py: Python<'_>, faults: BTreeMap<u64, String>) -> PyResult<()> {
        let faults = parse_faults(Some(faults)).map_err(|e| crate::errors::to_py_err(py, e))?;
        self.with(|s| s.set_faults(faults))
    }

    /// Expires every Magento admin token issued so far.
    fn expire_tokens(&self) -> PyResult<()> {
        self.with(FakeStore::expire_tokens)
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Stops the store (waits for its thread). Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner()).take();
        py.detach(move || drop(store));
    }

    fn __repr__(&self) -> String {
        format!(
            "<nexus._nexus._FakeStore {} at {}>",
            self.platform, self.url
        )
    }
}
