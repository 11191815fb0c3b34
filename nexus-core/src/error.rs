//! The one error type of Nexus.
//!
//! Every fallible function of `nexus-core` returns [`Error`]. Each variant has a stable
//! machine-readable [`Error::code`] (used by the Python and Node bindings) and says whether
//! retrying the same call can succeed ([`Error::is_retryable`]).

use std::fmt;

use crate::model::{EntityKind, PlatformKind};

/// Result alias used throughout `nexus-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What was wrong with a piece of input data.
///
/// The string form ([`DataErrorKind::code`]) is part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataErrorKind {
    /// The payload is not JSON, or stops in the middle (a truncated body).
    InvalidJson,
    /// The payload is JSON but not a record, a list of records or the platform's envelope.
    InvalidEnvelope,
    /// A required field (such as the record's id) is missing or null.
    MissingField,
    /// A field has the wrong JSON type (a string where an object is expected, ...).
    InvalidType,
    /// A money amount or other decimal is not a decimal number.
    InvalidDecimal,
    /// A timestamp is malformed or names an impossible date or time.
    InvalidDate,
    /// A currency code is not three ASCII letters.
    InvalidCurrency,
    /// A value is of the right type but not allowed (a negative id, an unknown enum value).
    InvalidValue,
}

impl DataErrorKind {
    /// The stable code of this kind, e.g. `"invalid_decimal"`.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidEnvelope => "invalid_envelope",
            Self::MissingField => "missing_field",
            Self::InvalidType => "invalid_type",
            Self::InvalidDecimal => "invalid_decimal",
            Self::InvalidDate => "invalid_date",
            Self::InvalidCurrency => "invalid_currency",
            Self::InvalidValue => "invalid_value",
        }
    }
}

impl fmt::Display for DataErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A problem with one record (or with the whole payload, when `index` is `None`).
///
/// `path` is a JSON path relative to the payload as it was given, for example
/// `[3].line_items[0].price` for the price of the first line of the fourth order of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// Position of the record in the payload's list (`None`: the payload as a whole).
    pub index: Option<usize>,
    /// The record's platform id when it could be read.
    pub id: Option<String>,
    /// What kind of problem it is.
    pub kind: DataErrorKind,
    /// Where in the payload the problem is.
    pub path: String,
    /// What was wrong, naming the offending value.
    pub message: String,
}

impl DataError {
    /// The stable code of the problem, e.g. `"missing_field"`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DataError {}

/// The error type of every fallible `nexus-core` function.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input data could not be mapped; the error names the JSON path and the problem.
    #[error(transparent)]
    Data(Box<DataError>),

    /// A platform name that Nexus does not know.
    #[error("unknown platform {name:?}: expected \"woocommerce\", \"shopify\" or \"magento\"")]
    UnknownPlatform {
        /// The name that was given.
        name: String,
    },

    /// An entity name that Nexus does not know.
    #[error(
        "unknown entity {name:?}: expected \"orders\", \"customers\", \"products\", \"variants\", \"refunds\" or \"transactions\""
    )]
    UnknownEntity {
        /// The name that was given.
        name: String,
    },

    /// The platform has no payloads of this entity (for example Magento transactions).
    #[error("{platform} has no {entity} payloads that Nexus can map")]
    Unsupported {
        /// The platform asked for.
        platform: PlatformKind,
        /// The entity asked for.
        entity: EntityKind,
    },

    /// An argument of a call is not acceptable.
    #[error("invalid argument `{name}`: {message}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },

    /// A connector's configuration is not usable (refused by its builder's `build()`).
    #[error("invalid {platform} configuration: {message}")]
    Config {
        /// The platform being configured.
        platform: PlatformKind,
        /// What is wrong.
        message: String,
    },

    /// The store refused the credentials (401/403, a bad signature, an expired token).
    #[error("{platform} refused the credentials ({status}): {message}")]
    Auth {
        /// The platform.
        platform: PlatformKind,
        /// The HTTP status.
        status: u16,
        /// The store's explanation, with any secret removed.
        message: String,
    },

    /// The store's rate limit was hit and retries ran out.
    #[error("{platform} rate limit reached{}", retry_after.map(|d| format!("; retry after {:.1}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The platform.
        platform: PlatformKind,
        /// How long the store asked to wait, if it said.
        retry_after: Option<std::time::Duration>,
    },

    /// The store answered with an error (WooCommerce and Magento error bodies keep their code).
    #[error("{platform} error {status}{}: {message}", platform_code.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    Platform {
        /// The platform.
        platform: PlatformKind,
        /// The HTTP status.
        status: u16,
        /// The platform's own error code (`woocommerce_rest_invalid_id`), when it sent one.
        platform_code: Option<String>,
        /// The store's message.
        message: String,
    },

    /// The store could not be reached or the connection broke.
    #[error("{platform} request failed: {message}")]
    Network {
        /// The platform.
        platform: PlatformKind,
        /// What happened (connection refused, reset, DNS failure).
        message: String,
    },

    /// The store did not answer in time.
    #[error("{platform} request timed out after {:.1}s", timeout.as_secs_f64())]
    Timeout {
        /// The platform.
        platform: PlatformKind,
        /// The time allowed.
        timeout: std::time::Duration,
    },

    /// A page came back that is not the platform's JSON: an HTML error or firewall page
    /// served with status 200, or a body cut short.
    #[error("{platform} sent a page that is not its JSON ({status}): {message}")]
    InvalidPage {
        /// The platform.
        platform: PlatformKind,
        /// The HTTP status.
        status: u16,
        /// What was wrong and how the body started.
        message: String,
    },

    /// A rule set (a rule file or the builder) has a mistake; the error names the file,
    /// the line and column, and the key.
    #[error("{}{}{}", file.as_deref().map(|f| format!("{f}:")).unwrap_or_default(), line.map(|l| format!("{l}:{}: ", column.unwrap_or(1))).unwrap_or_else(|| if file.is_some() { " ".into() } else { String::new() }), if key.is_empty() { message.clone() } else { format!("{key}: {message}") })]
    Rules {
        /// The rule file, when the rules came from one.
        file: Option<String>,
        /// The line (1-based), when known.
        line: Option<usize>,
        /// The column (1-based), when known.
        column: Option<usize>,
        /// The key of the mistake (`rules.order.total_matches.tolerance`).
        key: String,
        /// What is wrong.
        message: String,
    },

    /// The database refused a statement, or could not be reached or read.
    #[error("{backend} store: {message}")]
    Store {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What happened (never a password).
        message: String,
        /// Whether trying again can succeed (a busy database, a dropped connection).
        retryable: bool,
    },

    /// The database was written by a newer Nexus, with a schema this version does not know.
    #[error(
        "the database has schema version {found}, newer than the {supported} this Nexus ({}) knows: upgrade Nexus to open it",
        crate::VERSION
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: u32,
        /// The newest version this Nexus knows.
        supported: u32,
    },

    /// A settings file (the manager's store registry) has a mistake; the error names the
    /// file and the key.
    #[error("{}{key}: {message}", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
    Settings {
        /// The file, when the settings came from one.
        file: Option<String>,
        /// The key of the mistake (`stores.shop1.consumer_secret`).
        key: String,
        /// What is wrong.
        message: String,
    },

    /// The work was cancelled before it finished.
    #[error("cancelled: {what}")]
    Cancelled {
        /// What was cancelled.
        what: String,
    },

    /// A table or array given to an analytics function is not usable: a missing column, a
    /// null, a negative amount, a date that does not parse, arrays of different lengths.
    #[error("{}{}: {message}", if column.is_empty() { "input".to_string() } else { format!("column `{column}`") }, row.map(|r| format!(", row {r}")).unwrap_or_default())]
    InvalidData {
        /// The column (or array argument) at fault; empty when the table as a whole is.
        column: String,
        /// The row (0-based), when one row is at fault.
        row: Option<usize>,
        /// What is wrong, naming the value.
        message: String,
    },

    /// A model could not be fitted to the data (too few customers or observations, an
    /// optimizer that did not converge).
    #[error("{model} could not be fitted: {message}")]
    Fit {
        /// The model (`BetaGeo`, `GammaGamma`, `ETS(M,Ad,M)`).
        model: String,
        /// Why.
        message: String,
    },

    /// Pagination stopped advancing (the same cursor or the same page came back).
    #[error("{platform} pagination of {entity} stopped advancing at {position}")]
    CursorStuck {
        /// The platform.
        platform: PlatformKind,
        /// The entity being read.
        entity: EntityKind,
        /// Where it stopped.
        position: String,
    },
}

impl Error {
    /// A stable, machine-readable code for the error, used by the bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Data(e) => e.code(),
            Error::UnknownPlatform { .. } => "unknown_platform",
            Error::UnknownEntity { .. } => "unknown_entity",
            Error::Unsupported { .. } => "unsupported",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Config { .. } => "invalid_config",
            Error::Auth { .. } => "auth_failed",
            Error::RateLimited { .. } => "rate_limited",
            Error::Platform { .. } => "platform_error",
            Error::Network { .. } => "network_error",
            Error::Timeout { .. } => "timeout",
            Error::InvalidPage { .. } => "invalid_page",
            Error::CursorStuck { .. } => "cursor_stuck",
            Error::Rules { .. } => "invalid_rules",
            Error::Store { .. } => "store_error",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Settings { .. } => "invalid_settings",
            Error::Cancelled { .. } => "cancelled",
            Error::InvalidData { .. } => "invalid_data",
            Error::Fit { .. } => "fit_failed",
        }
    }

    /// Whether the same call can succeed when tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Network { .. }
            | Error::Timeout { .. }
            | Error::InvalidPage { .. } => true,
            Error::Store { retryable, .. } => *retryable,
            Error::Platform { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }
}

impl Error {
    /// An [`Error::InvalidData`] for `column` (and `row`, when one row is at fault).
    pub fn invalid_data(
        column: impl Into<String>,
        row: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidData {
            column: column.into(),
            row,
            message: message.into(),
        }
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Self {
        Error::Data(Box::new(e))
    }
}
