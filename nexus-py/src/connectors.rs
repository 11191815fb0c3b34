//! The connectors as Python sees them: `_Connector` (one store) and `_PageIter` (one read).
//!
//! Both are private: `nexus.WooCommerce`, `nexus.Shopify` and `nexus.Magento` wrap a
//! `_Connector`, and `pages()` wraps a `_PageIter` into `nexus.Page` objects. Every network
//! call goes through [`run_async`], which releases the GIL and lets Ctrl-C through.
//! Timestamps cross the boundary as RFC 3339 text in UTC (`2024-05-01T10:00:00.000000+00:00`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pyo3::prelude::*;

use nexus_core::Error;
use nexus_core::model::{Currency, EntityKind, Timestamp};
use nexus_core::platform::woocommerce::WooAuth;
use nexus_core::platform::{
    HttpOptions, JsonReader, Magento, Platform, ReadOptions, Shopify, SyncCursor, WooCommerce,
};

use crate::runtime::run_async;
use crate::{ErrorTuple, error_tuple};

/// A checkpoint as Python sees it: `(updated_at, id)`.
type CursorTuple = (String, String);

/// One page as Python sees it: records' JSON text, their count, the mapping errors, the
/// checkpoint after the page, the total the store announced, duplicates dropped, and the
/// page's number.
type PageTuple = (
    String,
    usize,
    Vec<ErrorTuple>,
    Option<CursorTuple>,
    Option<u64>,
    u64,
    u32,
);

/// `check()`'s answer: platform, name, currency, time zone, API version, platform version.
type StoreInfoTuple = (
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// `capabilities()`'s answer: entities, incremental field, largest page, default page,
/// whether deletions are seen.
type CapabilitiesTuple = (Vec<&'static str>, &'static str, u32, u32, bool);

/// A tombstone as Python sees it: entity, id, deleted at.
type TombstoneTuple = (&'static str, String, String);

fn invalid(name: &'static str, message: String) -> Error {
    Error::InvalidArgument { name, message }
}

/// A timestamp in the form Python's `datetime.fromisoformat` reads on every version.
pub(crate) fn format_time(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

pub(crate) fn parse_time(name: &'static str, text: &str) -> Result<Timestamp, Error> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(name, format!("{text:?} is not an RFC 3339 timestamp ({e})")))
}

fn seconds(name: &'static str, value: f64, allow_zero: bool) -> Result<Duration, Error> {
    let ok = value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0));
    ok.then(|| Duration::try_from_secs_f64(value).ok())
        .flatten()
        .ok_or_else(|| {
            let least = if allow_zero {
                "zero or more"
            } else {
                "more than zero"
            };
            invalid(name, format!("must be {least} seconds, not {value}"))
        })
}

/// A count the builders take as `u32`; a negative or huge number is refused here, the
/// platform's own range (`page_size` 1 to 100, ...) by the builder.
fn count(name: &'static str, value: i64) -> Result<u32, Error> {
    u32::try_from(value)
        .map_err(|_| invalid(name, format!("must be 0 to {}, not {value}", u32::MAX)))
}

fn currency(code: Option<&str>) -> Result<Option<Currency>, Error> {
    code.map(Currency::parse).transpose()
}

/// Transport settings shared by the three constructors.
struct Transport {
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    max_attempts: Option<i64>,
    user_agent: Option<String>,
}

impl Transport {
    fn options(self) -> Result<HttpOptions, Error> {
        let mut http = HttpOptions::default();
        if let Some(t) = self.timeout {
            http.timeout = seconds("timeout", t, false)?;
        }
        if let Some(t) = self.connect_timeout {
            http.connect_timeout = seconds("connect_timeout", t, false)?;
        }
        if let Some(n) = self.max_attempts {
            if n < 1 {
                return Err(invalid(
                    "max_attempts",
                    format!("must be at least 1, not {n}"),
                ));
            }
            http.retry.max_attempts = count("max_attempts", n)?;
        }
        if let Some(agent) = self.user_agent {
            http.user_agent = agent;
        }
        Ok(http)
    }
}

/// A connector to one store (private: use `nexus.WooCommerce`, `nexus.Shopify` or
/// `nexus.Magento`).
#[pyclass(module = "nexus._nexus", name = "_Connector", frozen)]
pub(crate) struct Connector {
    platform: Arc<dyn Platform>,
}

#[pymethods]
impl Connector {
    /// A WooCommerce connector.
    #[staticmethod]
    #[pyo3(signature = (
        url, *, consumer_key, consumer_secret, auth="auto", allow_basic_over_http=false,
        store=None, currency=None, page_size=None, requests_per_minute=None,
        timeout=None, connect_timeout=None, max_attempts=None, user_agent=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn woocommerce(
        py: Python<'_>,
        url: &str,
        consumer_key: &str,
        consumer_secret: &str,
        auth: &str,
        allow_basic_over_http: bool,
        store: Option<&str>,
        currency: Option<&str>,
        page_size: Option<i64>,
        requests_per_minute: Option<i64>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_attempts: Option<i64>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let transport = Transport {
            timeout,
            connect_timeout,
            max_attempts,
            user_agent,
        };
        let built = (|| {
            let auth = match auth.trim().to_ascii_lowercase().as_str() {
                "auto" => WooAuth::Auto,
                "basic" => WooAuth::Basic,
                "oauth1" | "oauth" => WooAuth::OAuth1,
                other => {
                    return Err(invalid(
                        "auth",
                        format!("expected \"auto\", \"basic\" or \"oauth1\", not {other:?}"),
                    ));
                }
            };
            let mut b = WooCommerce::builder(url)
                .consumer_key(consumer_key)
                .consumer_secret(consumer_secret)
                .auth(auth)
                .allow_basic_over_http(allow_basic_over_http)
                .http(transport.options()?);
            if let Some(s) = store {
                b = b.store_name(s);
            }
            if let Some(c) = self::currency(currency)? {
                b = b.currency(c);
            }
            if let Some(n) = page_size {
                b = b.page_size(count("page_size", n)?);
            }
            if let Some(n) = requests_per_minute {
                b = b.requests_per_minute(count("requests_per_minute", n)?);
            }
            b.build()
        })();
        Self::wrap(py, built)
    }

    /// A Shopify connector.
    #[staticmethod]
    #[pyo3(signature = (
        shop, *, access_token, api_version=None, store=None, currency=None, page_size=None,
        bucket=None, timeout=None, connect_timeout=None, max_attempts=None, user_agent=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn shopify(
        py: Python<'_>,
        shop: &str,
        access_token: &str,
        api_version: Option<&str>,
        store: Option<&str>,
        currency: Option<&str>,
        page_size: Option<i64>,
        bucket: Option<(i64, f64, i64)>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_attempts: Option<i64>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let transport = Transport {
            timeout,
            connect_timeout,
            max_attempts,
            user_agent,
        };
        let built = (|| {
            let mut b = Shopify::builder(shop)
                .access_token(access_token)
                .http(transport.options()?);
            if let Some(v) = api_version {
                b = b.api_version(v);
            }
            if let Some(s) = store {
                b = b.store_name(s);
            }
            if let Some(c) = self::currency(currency)? {
                b = b.currency(c);
            }
            if let Some(n) = page_size {
                b = b.page_size(count("page_size", n)?);
            }
            if let Some((capacity, leak, reserve)) = bucket {
                b = b.bucket(count("bucket", capacity)?, leak, count("bucket", reserve)?);
            }
            b.build()
        })();
        Self::wrap(py, built)
    }

    /// A Magento 2 connector. Give one kind of credentials: `token`, `username` and
    /// `password`, or the four OAuth 1.0a values.
    #[staticmethod]
    #[pyo3(signature = (
        url, *, token=None, username=None, password=None, consumer_key=None,
        consumer_secret=None, access_token=None, access_token_secret=None,
        allow_plain_http=false, store_code=None, store=None, currency=None, page_size=None,
        requests_per_minute=None, timeout=None, connect_timeout=None, max_attempts=None,
        user_agent=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn magento(
        py: Python<'_>,
        url: &str,
        token: Option<&str>,
        username: Option<&str>,
        password: Option<&str>,
        consumer_key: Option<&str>,
        consumer_secret: Option<&str>,
        access_token: Option<&str>,
        access_token_secret: Option<&str>,
        allow_plain_http: bool,
        store_code: Option<&str>,
        store: Option<&str>,
        currency: Option<&str>,
        page_size: Option<i64>,
        requests_per_minute: Option<i64>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_attempts: Option<i64>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let transport = Transport {
            timeout,
            connect_timeout,
            max_attempts,
            user_agent,
        };
        let built = (|| {
            let mut b = Magento::builder(url)
                .allow_plain_http(allow_plain_http)
                .http(transport.options()?);
            if let Some(t) = token {
                b = b.access_token(t);
            }
            // A half-given set of credentials goes to the builder with blanks, which names
            // what is missing.
            if username.is_some() || password.is_some() {
                b = b.admin_credentials(username.unwrap_or(""), password.unwrap_or(""));
            }
            let oauth = [
                consumer_key,
                consumer_secret,
                access_token,
                access_token_secret,
            ];
            if oauth.iter().any(Option::is_some) {
                let [ck, cs, at, ats] = oauth.map(|v| v.unwrap_or(""));
                b = b.oauth1(ck, cs, at, ats);
            }
            if let Some(code) = store_code {
                b = b.store_code(code);
            }
            if let Some(s) = store {
                b = b.store_name(s);
            }
            if let Some(c) = self::currency(currency)? {
                b = b.currency(c);
            }
            if let Some(n) = page_size {
                b = b.page_size(count("page_size", n)?);
            }
            if let Some(n) = requests_per_minute {
                b = b.requests_per_minute(count("requests_per_minute", n)?);
            }
            b.build()
        })();
        Self::wrap(py, built)
    }

    /// The platform's name.
    #[getter]
    fn platform(&self) -> &'static str {
        self.platform.kind().as_str()
    }

    /// Authenticates and returns facts about the store.
    fn check(&self, py: Python<'_>) -> PyResult<StoreInfoTuple> {
        let platform = self.platform.clone();
        let info = run_async(py, async move { platform.check().await })?;
        Ok((
            info.platform.as_str(),
            info.name,
            info.currency.map(|c| c.to_string()),
            info.timezone,
            info.api_version,
            info.platform_version,
        ))
    }

    /// What the connector can do.
    fn capabilities(&self) -> CapabilitiesTuple {
        let c = self.platform.capabilities();
        (
            c.entities.iter().map(|e| e.plural()).collect(),
            c.incremental_field,
            c.max_page_size,
            c.default_page_size,
            c.sees_deletes,
        )
    }

    /// Starts a read of `entity`: the records updated after `since`, page by page.
    #[pyo3(signature = (entity, *, since=None, overlap=300.0, until=None))]
    fn pages(
        &self,
        py: Python<'_>,
        entity: &str,
        since: Option<(String, String)>,
        overlap: f64,
        until: Option<&str>,
    ) -> PyResult<PageIter> {
        let reader = (|| {
            let entity: EntityKind = entity.parse()?;
            let since = since
                .map(|(at, id)| {
                    Ok::<_, Error>(SyncCursor {
                        updated_at: parse_time("since", &at)?,
                        id,
                    })
                })
                .transpose()?;
            let options = ReadOptions {
                overlap: seconds("overlap", overlap, true)?,
                until: until.map(|u| parse_time("until", u)).transpose()?,
                max_pages: None,
            };
            JsonReader::new(self.platform.clone(), entity, since, &options)
        })()
        .map_err(|e| crate::errors::to_py_err(py, e))?;
        Ok(PageIter {
            reader: tokio::sync::Mutex::new(reader),
        })
    }

    /// Records of `entity` deleted since `since`, where the platform reports deletions.
    #[pyo3(signature = (entity, since=None))]
    fn tombstones(
        &self,
        py: Python<'_>,
        entity: &str,
        since: Option<&str>,
    ) -> PyResult<Vec<TombstoneTuple>> {
        let parsed = (|| {
            let entity: EntityKind = entity.parse()?;
            let since = since.map(|s| parse_time("since", s)).transpose()?;
            Ok::<_, Error>((entity, since))
        })()
        .map_err(|e| crate::errors::to_py_err(py, e))?;
        let platform = self.platform.clone();
        let (entity, since) = parsed;
        let stones = run_async(py, async move { platform.tombstones(entity, since).await })?;
        Ok(stones
            .into_iter()
            .map(|t| (t.entity.plural(), t.id, format_time(&t.deleted_at)))
            .collect())
    }

    fn __repr__(&self) -> String {
        // The connectors' `Debug` redacts secrets, but the platform is all Python needs.
        format!("<nexus._nexus._Connector {}>", self.platform.kind())
    }
}

impl Connector {
    fn wrap<P: Platform + 'static>(py: Python<'_>, built: Result<P, Error>) -> PyResult<Self> {
        match built {
            Ok(p) => Ok(Connector {
                platform: Arc::new(p),
            }),
            Err(e) => Err(crate::errors::to_py_err(py, e)),
        }
    }
}

/// One read in progress (private: `nexus` connectors' `pages()` wraps it).
#[pyclass(module = "nexus._nexus", name = "_PageIter", frozen)]
pub(crate) struct PageIter {
    /// Locked for the whole of a page fetch: two threads iterating take turns.
    reader: tokio::sync::Mutex<JsonReader>,
}

#[pymethods]
impl PageIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next page, fetched with the GIL released; `StopIteration` after the last one.
    /// After an error the read is over.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PageTuple>> {
        let reader = &self.reader;
        let batch = run_async(py, async move {
            reader.lock().await.next_batch().await.transpose()
        })?;
        Ok(batch.map(|b| {
            (
                b.mapping.records,
                b.mapping.count,
                b.mapping.errors.into_iter().map(error_tuple).collect(),
                b.checkpoint.map(|c| (format_time(&c.updated_at), c.id)),
                b.total,
                b.duplicates,
                b.page,
            )
        }))
    }
}
