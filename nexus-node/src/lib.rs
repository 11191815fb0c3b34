//! Node binding of Nexus (`nexus-commerce` on npm).
//!
//! Every function converts its arguments, calls one `nexus-core` function and converts the
//! result. Records cross the boundary as the core's unified JSON text and are turned into
//! JavaScript objects by V8's own `JSON.parse` (one call, and far faster than building
//! each object property by property through N-API). Errors become JavaScript `Error`s
//! whose `code` is [`nexus_core::Error::code`]; [`IntoJsError`] is the one place where
//! that happens.
//!
//! The connectors (`WooCommerce`, `Shopify`, `Magento`) are in [`connectors`], the fake
//! stores in [`fake`]; their network calls return Promises through [`promise::promise`].
//! The quality engine (`RuleSet`, `checkQuality`, `QualityReport`) is in [`quality`], the
//! store registry with its sync, health and alerts (`Manager`, `SyncReport`) in [`manager`].
//! The customer analytics (`rfm`, `summaryData`, `kpis`, `cohorts`) are in [`analytics`],
//! reading the transactions given through [`frame`], the k-means segments and the purchase
//! propensity (`segmentCustomers`, `purchasePropensity`) in [`segments`], and the
//! lifetime-value models (`BetaGeo`, `ModifiedBetaGeo`, `ParetoNBD`, `GammaGamma`) in
//! [`clv`]; their work runs off the event loop through [`promise::blocking`]. The
//! forecasts (`AutoETS`, `ETS`, `forecastMany`, `forecastSales`, `productPerformance`) are
//! in [`forecast`], and run the same way.

mod analytics;
mod clv;
mod connectors;
mod fake;
mod forecast;
mod frame;
mod manager;
mod promise;
mod quality;
mod segments;

// Exported from the crate root like the `mapX` functions: napi registers functions only
// outside `cfg(test)`, and a function reachable from nowhere else would be dead code there.
pub use analytics::{cohorts, kpis, rfm, rfm_segments, summary_data};
pub use forecast::{forecast_many, forecast_sales, product_performance};
pub use quality::check_quality;
pub use segments::{purchase_propensity, segment_customers};

use std::collections::HashMap;
use std::str::FromStr;

use napi::bindgen_prelude::{
    ArrayBuffer, Either, Either3, FromNapiValue, Function, JsObjectValue, Object, Uint8ArraySlice,
    Unknown,
};
use napi::{Env, JsError, JsValue, Status};
use napi_derive::napi;
use nexus_core::mapping::{JsonMapping, Mapper};
use nexus_core::model::{Currency, EntityKind, PlatformKind};
use nexus_core::{DataError, Error};

/// The `code` of an error thrown by this addon.
pub enum ErrorCode {
    /// A `nexus-core` error: its stable [`Error::code`] (`"unknown_platform"`, ...).
    Core(&'static str),
    /// A failure of the JavaScript engine itself (napi's status name).
    Engine(Status),
    /// A failure of the addon's own objects: `"closed"` (a closed fake store), `"io_error"`
    /// (a fake store that could not start).
    Addon(&'static str),
    /// A `nexus-core` [`Error::InvalidData`] (code `"invalid_data"`): the column at fault
    /// (empty for the table as a whole) and the row, when one row is. [`js_error`] sets
    /// them on the JavaScript error as `column` and `row`.
    Data {
        /// The column (or array argument) at fault.
        column: String,
        /// The row (0-based).
        row: Option<usize>,
    },
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        match self {
            ErrorCode::Core(code) => code,
            ErrorCode::Engine(status) => status.as_ref(),
            ErrorCode::Addon(code) => code,
            ErrorCode::Data { .. } => "invalid_data",
        }
    }
}

/// What every exported function returns: a JavaScript `Error` with a stable `code` on failure.
type Result<T, E = napi::Error<ErrorCode>> = std::result::Result<T, E>;

/// Turns a Rust error into the JavaScript error thrown to the caller. The only place where
/// errors are mapped.
trait IntoJsError {
    fn into_js(self) -> napi::Error<ErrorCode>;
}

impl IntoJsError for Error {
    fn into_js(self) -> napi::Error<ErrorCode> {
        let code = match &self {
            Error::InvalidData { column, row, .. } => ErrorCode::Data {
                column: column.clone(),
                row: *row,
            },
            other => ErrorCode::Core(other.code()),
        };
        napi::Error::new(code, self.to_string())
    }
}

/// A panic of analytics work on a blocking thread (a bug: the core returns errors).
impl IntoJsError for tokio::task::JoinError {
    fn into_js(self) -> napi::Error<ErrorCode> {
        napi::Error::new(
            ErrorCode::Engine(Status::GenericFailure),
            format!("the analytics thread failed: {self}"),
        )
    }
}

/// The JavaScript `Error` for `error` with every field of its code (`column` and `row` of
/// an `"invalid_data"` error, `null` when not known), wrapped so that napi throws it, or
/// rejects a Promise with it, as it is. napi's own conversion only sets `code` and
/// `message`; a function whose errors may carry fields returns `napi::Result` and maps its
/// errors through here.
pub(crate) fn js_error(env: &Env, error: napi::Error<ErrorCode>) -> napi::Error {
    let fields = match &error.status {
        ErrorCode::Data { column, row } => Some((column.clone(), *row)),
        _ => None,
    };
    // SAFETY: called on the JavaScript thread of `env`, in a handle scope.
    let value = unsafe { JsError::from(error).into_value(env.raw()) };
    // SAFETY: `value` was just created in this env.
    let value = unsafe { Unknown::from_raw_unchecked(env.raw(), value) };
    if let Some((column, row)) = fields
        && let Ok(mut object) = value.coerce_to_object()
    {
        let column = (!column.is_empty()).then_some(column);
        // Setting a property of a fresh Error cannot fail but by a pending exception,
        // which napi reports when the error is thrown.
        let _ = object.set("column", column);
        let _ = object.set("row", row.map(|r| r as f64));
    }
    napi::Error::from(value)
}

impl IntoJsError for napi::Error {
    fn into_js(self) -> napi::Error<ErrorCode> {
        napi::Error::new(ErrorCode::Engine(self.status), &self.reason)
    }
}

/// The core's quality values always serialize (their map keys are strings or unit enum
/// variants); should writing one as JSON text ever fail, the caller gets a `GenericFailure`.
impl IntoJsError for serde_json::Error {
    fn into_js(self) -> napi::Error<ErrorCode> {
        napi::Error::new(
            ErrorCode::Engine(Status::GenericFailure),
            format!("cannot write JSON: {self}"),
        )
    }
}

/// `result.js()?`: converts the error of a core or napi call with [`IntoJsError`].
trait JsResultExt<T> {
    fn js(self) -> Result<T>;
}

impl<T, E: IntoJsError> JsResultExt<T> for std::result::Result<T, E> {
    fn js(self) -> Result<T> {
        self.map_err(IntoJsError::into_js)
    }
}

/// Options of the `mapX` functions.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct MapOptions {
    /// The store's name, written to every record's `source.store` (default `"default"`).
    pub store: Option<String>,
    /// The store's currency (three letters, e.g. `"EUR"`), used for prices that a payload
    /// sends without one (WooCommerce and Magento products and variants).
    pub currency: Option<String>,
    /// Keep the platform's fields that have no home in the unified schema in each record's
    /// `metadata`, verbatim (default `true`); `false` drops them and maps faster.
    pub keep_unmapped: Option<bool>,
}

/// A record that did not map, or a problem with the payload as a whole.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct MappingError {
    /// Position of the record in the payload's list; `null` for the payload as a whole.
    pub index: Option<u32>,
    /// The record's platform id, when it could be read.
    pub id: Option<String>,
    /// Where the problem is, as a path into the payload (`"[3].line_items[0].price"`).
    pub path: String,
    /// A stable machine-readable code (`"missing_field"`, `"invalid_json"`, ...).
    pub code: String,
    /// What was wrong, naming the offending value.
    pub message: String,
}

impl From<DataError> for MappingError {
    fn from(e: DataError) -> Self {
        MappingError {
            index: e.index.map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
            id: e.id,
            path: e.path,
            code: e.kind.code().to_owned(),
            message: e.message,
        }
    }
}

/// A platform payload: JSON text, its UTF-8 bytes, or already parsed JSON.
type Payload<'a> = Either3<String, Uint8ArraySlice<'a>, Object<'a>>;

/// The payload's JSON bytes, borrowed when they already are bytes. `name` is the argument
/// an error names.
fn payload_bytes<'a>(
    env: &Env,
    name: &'static str,
    payload: &'a Payload<'_>,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    let invalid = |message: String| Error::InvalidArgument { name, message }.into_js();
    let object = match payload {
        Either3::A(text) => return Ok(text.as_bytes().into()),
        Either3::B(bytes) => return Ok(bytes.as_ref().into()),
        Either3::C(object) => object,
    };
    if object.is_arraybuffer().js()? {
        // SAFETY: the value was just checked to be an ArrayBuffer of this env.
        let buffer = unsafe { ArrayBuffer::from_napi_value(env.raw(), object.raw()) }.js()?;
        return Ok(buffer.to_vec().into());
    }
    if object.is_typedarray().js()? || object.is_dataview().js()? {
        return Err(invalid(
            "binary payloads must be a Buffer, a Uint8Array or an ArrayBuffer".to_owned(),
        ));
    }
    let stringify: Function<'_, Unknown<'_>, Unknown<'_>> = json_method(env, "stringify")?;
    let text = stringify
        .call(object.to_unknown())
        .map_err(|e| invalid(format!("cannot be written as JSON: {}", e.reason)))?;
    let text = String::from_unknown(text).js()?;
    Ok(text.into_bytes().into())
}

/// `JSON.parse` or `JSON.stringify` of the global object.
fn json_method<'env, Args, Ret>(env: &'env Env, name: &str) -> Result<Function<'env, Args, Ret>>
where
    Args: napi::bindgen_prelude::JsValuesTupleIntoVec,
    Ret: FromNapiValue,
{
    let json: Object<'_> = env
        .get_global()
        .and_then(|global| global.get_named_property("JSON"))
        .js()?;
    json.get_named_property(name).js()
}

/// Parses JSON text produced by `nexus-core` into JavaScript values.
fn parse_json<'env>(env: &'env Env, text: &str) -> Result<Unknown<'env>> {
    let parse: Function<'_, &str, Unknown<'_>> = json_method(env, "parse")?;
    parse.call(text).js()
}

/// Builds the mapper for `platform` and `options`.
fn mapper(platform: &str, options: Option<MapOptions>) -> Result<Mapper, Error> {
    let MapOptions {
        store,
        currency,
        keep_unmapped,
    } = options.unwrap_or_default();
    let mut mapper =
        Mapper::new(PlatformKind::from_str(platform)?).keep_unmapped(keep_unmapped.unwrap_or(true));
    if let Some(store) = store {
        mapper = mapper.store(store);
    }
    if let Some(code) = currency {
        mapper = mapper.currency(Currency::parse(&code)?);
    }
    Ok(mapper)
}

/// What every `mapX` function does: `Mapper::map_json`, then `{ records, errors }`.
fn map<'env>(
    env: &'env Env,
    entity: EntityKind,
    platform: String,
    payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    let mapper = mapper(&platform, options).js()?;
    let bytes = payload_bytes(env, "payload", &payload)?;
    let JsonMapping {
        records, errors, ..
    } = mapper.map_json(entity, &bytes).js()?;
    let errors: Vec<MappingError> = errors.into_iter().map(MappingError::from).collect();
    let mut result = Object::new(env).js()?;
    result.set("records", parse_json(env, &records)?).js()?;
    result.set("errors", errors).js()?;
    Ok(result)
}

/// Maps a page of orders from `platform` (`"woocommerce"`, `"shopify"` or `"magento"`).
///
/// `payload` is what the platform sent: one record, a list of records or the platform's
/// list envelope, as a string, a Buffer/Uint8Array/ArrayBuffer of UTF-8 JSON, or parsed
/// JSON. Money stays exact for text and bytes; parsed JSON has already been through
/// JavaScript numbers. Records that do not map are reported in `errors`, never thrown.
#[napi(ts_return_type = "MappingResult<Order>")]
pub fn map_orders<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Order, platform, payload, options)
}

/// Maps a page of customers. See `mapOrders`.
#[napi(ts_return_type = "MappingResult<Customer>")]
pub fn map_customers<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Customer, platform, payload, options)
}

/// Maps a page of products (Shopify products carry their variants). See `mapOrders`.
#[napi(ts_return_type = "MappingResult<Product>")]
pub fn map_products<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Product, platform, payload, options)
}

/// Maps a page of variants (WooCommerce variations, Shopify variants, Magento configurable
/// children). See `mapOrders`.
#[napi(ts_return_type = "MappingResult<Variant>")]
pub fn map_variants<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Variant, platform, payload, options)
}

/// Maps a page of refunds (Magento credit memos). See `mapOrders`.
#[napi(ts_return_type = "MappingResult<Refund>")]
pub fn map_refunds<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Refund, platform, payload, options)
}

/// Maps a page of payment transactions. Only Shopify has them: other platforms throw an
/// error with code `"unsupported"`. See `mapOrders`.
#[napi(ts_return_type = "MappingResult<Transaction>")]
pub fn map_transactions<'env>(
    env: &'env Env,
    platform: String,
    #[napi(ts_arg_type = "Payload")] payload: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    map(env, EntityKind::Transaction, platform, payload, options)
}

/// Verifies a Shopify or WooCommerce webhook and maps its body.
///
/// `headers` are the request's headers (any case; the first value of a list is used),
/// `body` the raw body exactly as received. The signature (`X-Shopify-Hmac-Sha256` or
/// `X-WC-Webhook-Signature`, base64 HMAC-SHA256 of the body) is compared in constant time
/// and nothing leaves the process. Throws with code `"auth_failed"` when it does not match.
#[napi(ts_return_type = "Webhook")]
pub fn verify_webhook<'env>(
    env: &'env Env,
    platform: String,
    secret: String,
    #[napi(ts_arg_type = "Record<string, string | string[] | undefined>")] headers: HashMap<
        String,
        Option<Either<String, Vec<String>>>,
    >,
    #[napi(ts_arg_type = "string | Buffer | Uint8Array")] body: Payload<'_>,
    options: Option<MapOptions>,
) -> Result<Object<'env>> {
    let pairs: Vec<(String, String)> = headers
        .into_iter()
        .filter_map(|(name, value)| match value? {
            Either::A(text) => Some((name, text)),
            Either::B(list) => list.into_iter().next().map(|text| (name, text)),
        })
        .collect();
    let platform: PlatformKind = PlatformKind::from_str(&platform).js()?;
    let bytes = payload_bytes(env, "payload", &body)?;
    let hook = nexus_core::platform::verify_webhook(platform, &secret, &pairs, &bytes).js()?;
    let store = options
        .and_then(|o| o.store)
        .unwrap_or_else(|| "default".to_owned());
    let JsonMapping {
        records, errors, ..
    } = hook.map_json(&store).js()?;
    let errors: Vec<MappingError> = errors.into_iter().map(MappingError::from).collect();
    let mut result = Object::new(env).js()?;
    result.set("platform", platform.as_str()).js()?;
    result.set("topic", hook.topic).js()?;
    result.set("entity", hook.entity.map(|e| e.plural())).js()?;
    result.set("event", hook.event).js()?;
    result.set("source", hook.source).js()?;
    result.set("deliveryId", hook.delivery_id).js()?;
    result.set("deletedId", hook.deleted_id).js()?;
    result.set("records", parse_json(env, &records)?).js()?;
    result.set("errors", errors).js()?;
    Ok(result)
}

/// The JSON Schema of the unified records (the committed `schema/nexus.schema.json`).
#[napi(ts_return_type = "Record<string, unknown>")]
pub fn json_schema(env: &Env) -> Result<Unknown<'_>> {
    parse_json(env, &nexus_core::schema::json_schema_string())
}

/// The version of Nexus this addon was built from.
#[napi]
pub fn version() -> &'static str {
    nexus_core::VERSION
}
