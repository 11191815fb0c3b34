//! [`promise`]: the one helper every network call from JavaScript goes through.
//!
//! The connectors' futures run on napi's tokio runtime (one per process, started on first
//! use; its threads never keep Node's event loop alive). The JavaScript side gets a
//! Promise, settled on the JavaScript thread: resolved with the value `convert` builds, or
//! rejected with the same `Error` (with its stable `code`) that a synchronous call throws.
//! (`Manager.sync` settles its own Promise, through the same [`rejection`], because it may
//! also reject with what a JavaScript callback threw.) The analytics go through
//! [`blocking`], which runs CPU-heavy work on the runtime's blocking threads.

use std::future::Future;

use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};

use crate::{ErrorCode, IntoJsError, JsResultExt, Result, js_error};

/// Runs `future` on the runtime and returns a Promise of what `convert` makes of its output.
pub(crate) fn promise<'env, T, V, F, C>(
    env: &'env Env,
    future: F,
    convert: C,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = std::result::Result<T, nexus_core::Error>> + Send + 'static,
    C: FnOnce(&'env Env, T) -> Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok::<_, napi::Error>(future.await) },
        move |env, outcome| {
            outcome
                .map_err(IntoJsError::into_js)
                .and_then(|value| convert(env, value))
                .map_err(|e| rejection(env, e))
        },
    )
    .js()
}

/// Runs `work` on one of the runtime's blocking threads and returns a Promise of what
/// `convert` makes of its output: the CPU-heavy analytics run off the event loop and off
/// the runtime's worker threads, which the connectors' network calls share.
pub(crate) fn blocking<'env, T, V, W, C>(
    env: &'env Env,
    work: W,
    convert: C,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    W: FnOnce() -> std::result::Result<T, nexus_core::Error> + Send + 'static,
    C: FnOnce(&'env Env, T) -> Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok::<_, napi::Error>(tokio::task::spawn_blocking(work).await) },
        move |env, outcome| {
            outcome
                .js()
                .and_then(|done| done.js())
                .and_then(|value| convert(env, value))
                .map_err(|e| rejection(env, e))
        },
    )
    .js()
}

/// The JavaScript `Error` for `error` (see [`js_error`]), wrapped so that napi rejects the
/// Promise with it as it is: napi's own rejections only know its fixed status names, not
/// the core's codes.
pub(crate) fn rejection(env: &Env, error: napi::Error<ErrorCode>) -> napi::Error {
    js_error(env, error)
}
