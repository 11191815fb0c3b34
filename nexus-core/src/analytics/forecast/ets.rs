//! Exponential smoothing state-space models (ETS), after Hyndman, Koehler, Ord & Snyder,
//! *Forecasting with Exponential Smoothing* (2008).
//!
//! A model is named by its error, trend and season: `ETS(M,Ad,M)` has multiplicative
//! errors, an additive damped trend and a multiplicative season. The state recursions,
//! the likelihood, the parameter bounds and the admissibility test are those of R's
//! `forecast::ets` (and statsforecast's `AutoETS`, which ports it), so fitted models,
//! their AICc and their forecasts can be compared with either:
//!
//! - smoothing parameters are bounded as R's `bounds = "both"`: `1e-4 <= alpha <= 0.9999`,
//!   `1e-4 <= beta <= alpha`, `1e-4 <= gamma <= 1 - alpha`, `0.8 <= phi <= 0.98`, and the
//!   model must be admissible (forecastable: the characteristic roots inside the unit circle);
//! - the initial level, trend and seasonal states are estimated together with the smoothing
//!   parameters by maximum likelihood, starting from R's heuristic (a classical decomposition
//!   of the first three seasons and a regression on the seasonally adjusted start);
//! - `loglik` is R's `-0.5 * (n ln(sum e^2) + 2 sum ln|yhat|)` (the second term only for
//!   multiplicative errors); AIC, AICc and BIC count the free parameters plus the variance.
//!
//! Where Nexus differs:
//! - the likelihood is maximized by Levenberg-Marquardt on exact derivatives of the
//!   recursions (forward sensitivities) instead of Nelder-Mead, in two stages: first with the
//!   initial seasonal states held at the heuristic (a handful of parameters), then with
//!   every state free (for [`AutoEts`], only for the best seasonal candidate). It reaches
//!   much better optima than statsforecast's Nelder-Mead in a few dozen passes;
//! - damped forecasts use the model's damping sum `phi + ... + phi^h`; R's and
//!   statsforecast's C code adds `phi^(i+1)` at step i, so theirs differ from step 2 on;
//! - models with a multiplicative trend are not offered (R and statsforecast leave them out
//!   by default too).

use std::fmt;

use rayon::prelude::*;

use super::{Forecast, Interval, check_levels, check_series, normal_quantile};
use crate::analytics::kpi::Period;
use crate::{Error, Result};

/// How errors enter the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// `y = yhat + e`.
    Additive,
    /// `y = yhat (1 + e)`; needs strictly positive data.
    Multiplicative,
}

/// The trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendType {
    /// No trend.
    None,
    /// A linear trend.
    Additive,
    /// A linear trend damped by `phi` towards a flat line.
    AdditiveDamped,
}

/// The seasonal component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeasonType {
    /// No season.
    None,
    /// Seasonal effects added to the level.
    Additive,
    /// Seasonal effects multiplying the level; needs strictly positive data.
    Multiplicative,
}

/// One model of the family: error, trend and season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EtsSpec {
    /// The error type.
    pub error: ErrorType,
    /// The trend type.
    pub trend: TrendType,
    /// The season type.
    pub season: SeasonType,
}

impl EtsSpec {
    /// A model from its three components.
    pub const fn new(error: ErrorType, trend: TrendType, season: SeasonType) -> Self {
        EtsSpec {
            error,
            trend,
            season,
        }
    }

    /// Parses a model code as R and statsforecast write it: `"MAM"`, `"MAdM"`, `"ANN"`, or
    /// the printed form `"ETS(M,Ad,M)"`.
    pub fn parse(code: &str) -> Result<Self> {
        let bad = || Error::InvalidArgument {
            name: "model",
            message: format!(
                "{code:?}: expected a model code such as \"ANN\", \"MAdM\" or \"ETS(M,A,N)\" \
                 (error A or M, trend N, A or Ad, season N, A or M)"
            ),
        };
        let compact: String = code
            .trim()
            .trim_start_matches("ETS")
            .chars()
            .filter(|c| !matches!(c, '(' | ')' | ',' | ' '))
            .collect();
        let mut chars = compact.chars();
        let error = match chars.next() {
            Some('A') => ErrorType::Additive,
            Some('M') => ErrorType::Multiplicative,
            _ => return Err(bad()),
        };
        let trend = match chars.next() {
            Some('N') => TrendType::None,
            Some('A') => TrendType::Additive,
            _ => return Err(bad()),
        };
        let rest: String = chars.collect();
        let (trend, rest) = match (trend, rest.strip_prefix('d')) {
            (TrendType::Additive, Some(r)) => (TrendType::AdditiveDamped, r.to_string()),
            (_, Some(_)) => return Err(bad()),
            (t, None) => (t, rest),
        };
        let season = match rest.as_str() {
            "N" => SeasonType::None,
            "A" => SeasonType::Additive,
            "M" => SeasonType::Multiplicative,
            _ => return Err(bad()),
        };
        Ok(EtsSpec::new(error, trend, season))
    }

    /// The compact code (`"MAdM"`).
    pub fn code(&self) -> String {
        format!(
            "{}{}{}",
            match self.error {
                ErrorType::Additive => "A",
                ErrorType::Multiplicative => "M",
            },
            match self.trend {
                TrendType::None => "N",
                TrendType::Additive => "A",
                TrendType::AdditiveDamped => "Ad",
            },
            match self.season {
                SeasonType::None => "N",
                SeasonType::Additive => "A",
                SeasonType::Multiplicative => "M",
            }
        )
    }

    fn has_trend(&self) -> bool {
        self.trend != TrendType::None
    }

    fn damped(&self) -> bool {
        self.trend == TrendType::AdditiveDamped
    }

    fn has_season(&self) -> bool {
        self.season != SeasonType::None
    }

    fn multiplicative(&self) -> bool {
        self.error == ErrorType::Multiplicative || self.season == SeasonType::Multiplicative
    }

    /// Whether R's `forecast::ets` considers this model stable enough to offer: additive
    /// errors with a multiplicative season are left out.
    fn restricted(&self) -> bool {
        self.error == ErrorType::Additive && self.season == SeasonType::Multiplicative
    }

    /// The forecast-variance class of Hyndman et al. (2008, ch. 6): 1 linear, 2
    /// multiplicative errors on a linear model, 3 multiplicative seasons.
    fn class(&self) -> u8 {
        match (self.error, self.season) {
            (_, SeasonType::Multiplicative) => 3,
            (ErrorType::Multiplicative, _) => 2,
            _ => 1,
        }
    }

    /// Every model without a multiplicative trend, seasonal ones only when `seasonal`.
    pub fn all(seasonal: bool) -> Vec<EtsSpec> {
        let mut out = Vec::new();
        for error in [ErrorType::Additive, ErrorType::Multiplicative] {
            for trend in [
                TrendType::None,
                TrendType::Additive,
                TrendType::AdditiveDamped,
            ] {
                for season in [
                    SeasonType::None,
                    SeasonType::Additive,
                    SeasonType::Multiplicative,
                ] {
                    if season != SeasonType::None && !seasonal {
                        continue;
                    }
                    out.push(EtsSpec::new(error, trend, season));
                }
            }
        }
        out
    }
}

impl fmt::Display for EtsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        let (e, rest) = code.split_at(1);
        let (t, s) = rest.split_at(rest.len() - 1);
        write!(f, "ETS({e},{t},{s})")
    }
}

/// The smoothing parameters of a fitted model (`None` where the model has no such term).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EtsParams {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (R's `beta`, which is `alpha * beta*` in the book's notation).
    pub beta: Option<f64>,
    /// Seasonal smoothing.
    pub gamma: Option<f64>,
    /// Trend damping.
    pub phi: Option<f64>,
}

/// The information criterion that picks the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Criterion {
    /// Akaike's criterion.
    Aic,
    /// Akaike's criterion corrected for small samples (the default, as in R).
    #[default]
    Aicc,
    /// Schwarz's Bayesian criterion.
    Bic,
}

impl Criterion {
    /// Parses `"aic"`, `"aicc"` or `"bic"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "aic" => Ok(Criterion::Aic),
            "aicc" => Ok(Criterion::Aicc),
            "bic" => Ok(Criterion::Bic),
            _ => Err(Error::InvalidArgument {
                name: "ic",
                message: format!("{s:?}: expected \"aic\", \"aicc\" or \"bic\""),
            }),
        }
    }
}

/// One ETS model with a fixed specification, fitted by maximum likelihood.
#[derive(Debug, Clone)]
pub struct Ets {
    spec: EtsSpec,
    season_length: usize,
    simulations: usize,
}

impl Ets {
    /// The model `spec` with seasonal period `season_length` (ignored for non-seasonal
    /// models; must be at least 2 for seasonal ones).
    pub fn new(spec: EtsSpec, season_length: usize) -> Self {
        Ets {
            spec,
            season_length,
            simulations: DEFAULT_SIMULATIONS,
        }
    }

    /// Parses the model code (`"MAdM"`) and builds the model.
    pub fn from_code(code: &str, season_length: usize) -> Result<Self> {
        Ok(Ets::new(EtsSpec::parse(code)?, season_length))
    }

    /// The number of simulated paths behind the prediction intervals of models with a
    /// multiplicative season, which have no closed form (default 1,021; rounded up to a prime).
    pub fn simulations(mut self, paths: usize) -> Self {
        self.simulations = paths.max(100);
        self
    }

    /// The model at given parameters and initial states instead of fitted ones: its
    /// likelihood, criteria, fitted values and forecasts. `initial` holds the level, the
    /// trend (for trended models) and the m seasonal states in time order (for seasonal
    /// ones; the last is recomputed so the season sums to 0 or m). This is how a model
    /// fitted elsewhere (R, statsforecast) is reproduced or a stored model re-applied.
    pub fn evaluate(&self, y: &[f64], params: EtsParams, initial: &[f64]) -> Result<FittedEts> {
        check_series("y", y)?;
        let m = if self.spec.has_season() {
            self.season_length
        } else {
            1
        };
        if self.spec.has_season() && !(2..=MAX_SEASON).contains(&m) {
            return Err(Error::InvalidArgument {
                name: "season_length",
                message: format!(
                    "{} needs a season length from 2 to {MAX_SEASON}, got {m}",
                    self.spec
                ),
            });
        }
        let layout = Layout::new(self.spec, m);
        let states =
            1 + usize::from(self.spec.has_trend()) + if self.spec.has_season() { m } else { 0 };
        if initial.len() != states {
            return Err(Error::InvalidArgument {
                name: "initial",
                message: format!(
                    "{} with season {m} has {states} initial states, got {}",
                    self.spec,
                    initial.len()
                ),
            });
        }
        let mut raw = vec![0.0; layout.n_free];
        raw[0] = params.alpha;
        let missing = |what: &str| Error::InvalidArgument {
            name: "params",
            message: format!("{} needs {what}", self.spec),
        };
        if let Some(i) = layout.beta {
            raw[i] = params.beta.ok_or_else(|| missing("beta"))?;
        }
        if let Some(i) = layout.gamma {
            raw[i] = params.gamma.ok_or_else(|| missing("gamma"))?;
        }
        if let Some(i) = layout.phi {
            raw[i] = params.phi.ok_or_else(|| missing("phi"))?;
        }
        raw[layout.level] = initial[0];
        if let Some(i) = layout.trend {
            raw[i] = initial[1];
        }
        if let Some(s0) = layout.season {
            let first = 1 + usize::from(self.spec.has_trend());
            raw[s0..s0 + m - 1].copy_from_slice(&initial[first..first + m - 1]);
        }
        let value = objective(&layout, y, &raw, None);
        if !value.is_finite() {
            return Err(Error::Fit {
                model: self.spec.to_string(),
                message: "the recursions leave the model's domain at these parameters".into(),
            });
        }
        finish(
            Stage {
                layout,
                raw,
                value,
                iterations: 0,
                seasons: Vec::new(),
            },
            y,
            self.simulations,
        )
    }

    /// Fits the model to `y` (oldest first).
    pub fn fit(&self, y: &[f64]) -> Result<FittedEts> {
        check_series("y", y)?;
        let m = if self.spec.has_season() {
            if self.season_length < 2 {
                return Err(Error::InvalidArgument {
                    name: "season_length",
                    message: format!(
                        "{} is seasonal and needs a season length of at least 2, got {}",
                        self.spec, self.season_length
                    ),
                });
            }
            if self.season_length > MAX_SEASON {
                return Err(Error::InvalidArgument {
                    name: "season_length",
                    message: format!(
                        "{} cannot have a season of {} periods (at most {MAX_SEASON}); use MSTL \
                         for long seasons",
                        self.spec, self.season_length
                    ),
                });
            }
            self.season_length
        } else {
            1
        };
        if self.spec.multiplicative() {
            if let Some(i) = y.iter().position(|&v| v <= 0.0) {
                return Err(Error::invalid_data(
                    "y",
                    Some(i),
                    format!("{} needs strictly positive values, got {}", self.spec, y[i]),
                ));
            }
        }
        let layout = Layout::new(self.spec, m);
        if self.spec.has_season() && y.len() < 2 * m {
            return Err(Error::invalid_data(
                "y",
                None,
                format!(
                    "{} needs at least two seasons ({} values) to estimate a season of {m}, got {}",
                    self.spec,
                    2 * m,
                    y.len()
                ),
            ));
        }
        if layout.n_free + 2 >= y.len() {
            return Err(Error::invalid_data(
                "y",
                None,
                format!(
                    "{} has {} parameters and cannot be fitted to {} values",
                    self.spec,
                    layout.n_free + 1,
                    y.len()
                ),
            ));
        }
        fit_model(&layout, y, self.simulations)
    }
}

/// Automatic model selection over the ETS family by an information criterion, like R's
/// `forecast::ets(y)` and statsforecast's `AutoETS`.
#[derive(Debug, Clone)]
pub struct AutoEts {
    season_length: Option<usize>,
    frequency: Option<Period>,
    models: Option<Vec<EtsSpec>>,
    damped: Option<bool>,
    criterion: Criterion,
    restrict: bool,
    simulations: usize,
}

impl Default for AutoEts {
    fn default() -> Self {
        AutoEts {
            season_length: None,
            frequency: None,
            models: None,
            damped: None,
            criterion: Criterion::Aicc,
            restrict: true,
            simulations: DEFAULT_SIMULATIONS,
        }
    }
}

impl AutoEts {
    /// Selection over every admissible model, by AICc, with no season unless one is given.
    pub fn new() -> Self {
        AutoEts::default()
    }

    /// The seasonal period (12 for monthly data with a yearly season). `1` means no season.
    pub fn season_length(mut self, m: usize) -> Self {
        self.season_length = Some(m);
        self
    }

    /// The sampling frequency of the series, from which the seasonal period is inferred when
    /// none is given: 7 for daily, 52 for weekly, 12 for monthly, 4 for quarterly data.
    pub fn frequency(mut self, period: Period) -> Self {
        self.frequency = Some(period);
        self
    }

    /// Only these models are candidates.
    pub fn models(mut self, models: Vec<EtsSpec>) -> Self {
        self.models = Some(models);
        self
    }

    /// `Some(true)` only damped trends, `Some(false)` no damped trends, `None` both.
    pub fn damped(mut self, damped: Option<bool>) -> Self {
        self.damped = damped;
        self
    }

    /// The criterion that picks the model (AICc by default).
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// Whether models with additive errors and a multiplicative season are left out, as R
    /// does by default (`true`).
    pub fn restrict(mut self, restrict: bool) -> Self {
        self.restrict = restrict;
        self
    }

    /// The number of simulated paths for intervals of multiplicative-season models.
    pub fn simulations(mut self, paths: usize) -> Self {
        self.simulations = paths.max(100);
        self
    }

    /// The seasonal period this selection will use for a series of `n` values: the given
    /// one, else the one implied by the frequency; periods above 24 are not fitted by ETS
    /// (as in R) and fall back to no season.
    pub fn effective_season(&self, n: usize) -> usize {
        let m = self
            .season_length
            .or(self.frequency.map(super::season_length_for))
            .unwrap_or(1);
        if !(2..=MAX_SEASON).contains(&m) || n < 2 * m {
            1
        } else {
            m
        }
    }

    /// The candidate models for `y`.
    fn candidates(&self, y: &[f64], m: usize) -> Vec<EtsSpec> {
        let positive = y.iter().all(|&v| v > 0.0);
        let base = self.models.clone().unwrap_or_else(|| EtsSpec::all(m > 1));
        base.into_iter()
            .filter(|s| m > 1 || !s.has_season())
            .filter(|s| positive || !s.multiplicative())
            .filter(|s| !(self.restrict && s.restricted()))
            .filter(|s| match self.damped {
                Some(true) => s.trend != TrendType::Additive,
                Some(false) => !s.damped(),
                None => true,
            })
            .filter(|s| Layout::new(*s, m).n_estimated() + 1 < y.len())
            .collect()
    }

    /// Fits every candidate and returns the best by the criterion, with the others' scores
    /// in [`FittedEts::candidates`].
    pub fn fit(&self, y: &[f64]) -> Result<FittedEts> {
        check_series("y", y)?;
        if let Some(m) = self.season_length {
            if m == 0 {
                return Err(Error::InvalidArgument {
                    name: "season_length",
                    message: "the season length is at least 1 (1 means no season)".into(),
                });
            }
        }
        if y.len() < 3 {
            return Err(Error::invalid_data(
                "y",
                None,
                format!("AutoETS needs at least 3 values, got {}", y.len()),
            ));
        }
        if y.iter().all(|&v| v == y[0]) {
            // A constant series: every model fits it exactly (the likelihood is unbounded),
            // so return simple exponential smoothing at that level with zero variance.
            let spec = EtsSpec::new(ErrorType::Additive, TrendType::None, SeasonType::None);
            let layout = Layout::new(spec, 1);
            let stage = Stage {
                layout,
                raw: vec![0.5, y[0]],
                value: f64::MIN_POSITIVE,
                iterations: 0,
                seasons: Vec::new(),
            };
            return finish(stage, y, self.simulations);
        }
        let m = self.effective_season(y.len());
        let candidates = self.candidates(y, m);
        if candidates.is_empty() {
            return Err(Error::Fit {
                model: "AutoETS".into(),
                message: format!(
                    "no candidate model fits {} values{}",
                    y.len(),
                    if y.iter().any(|&v| v <= 0.0) {
                        " (multiplicative models need positive data)"
                    } else {
                        ""
                    }
                ),
            });
        }
        let n = y.len();
        let crit = self.criterion;
        let stages: Vec<(EtsSpec, Result<Stage>)> = candidates
            .par_iter()
            .map(|&spec| {
                (
                    spec,
                    first_stage(&Layout::new(spec, m), y, SELECTION_TOLERANCE),
                )
            })
            .collect();
        // Free the initial seasonal states of the best seasonal candidate only: the polish
        // is the costly part, and it rarely reorders candidates the first stage separates.
        let mut seasonal: Vec<(f64, usize)> = stages
            .iter()
            .enumerate()
            .filter_map(|(i, (spec, st))| {
                st.as_ref()
                    .ok()
                    .filter(|_| spec.has_season())
                    .map(|st| (st.criterion(n, crit), i))
            })
            .collect();
        seasonal.sort_by(|a, b| a.0.total_cmp(&b.0));
        let polish_set: Vec<usize> = seasonal
            .iter()
            .take(POLISHED_CANDIDATES)
            .map(|c| c.1)
            .collect();
        let stages: Vec<(EtsSpec, Result<Stage>)> = stages
            .into_par_iter()
            .enumerate()
            .map(|(i, (spec, st))| {
                let st = st.map(|st| {
                    if polish_set.contains(&i) {
                        polish(&Layout::new(spec, m), y, st)
                    } else {
                        st
                    }
                });
                (spec, st)
            })
            .collect();
        let mut scores = Vec::with_capacity(stages.len());
        let mut best: Option<(f64, Stage)> = None;
        let mut last_error = None;
        for (spec, st) in stages {
            match st {
                Ok(st) => {
                    let score = st.criterion(n, crit);
                    scores.push((spec, score));
                    if score.is_finite() && best.as_ref().map(|b| score < b.0).unwrap_or(true) {
                        best = Some((score, st));
                    }
                }
                Err(e) => {
                    scores.push((spec, f64::INFINITY));
                    last_error = Some(e);
                }
            }
        }
        let best = match best {
            Some((_, st)) => Some(finish(refine(y, st), y, self.simulations)?),
            None => None,
        };
        match best {
            Some(mut b) => {
                b.candidates = scores;
                Ok(b)
            }
            None => Err(last_error.unwrap_or_else(|| Error::Fit {
                model: "AutoETS".into(),
                message: "no candidate model could be fitted".into(),
            })),
        }
    }
}

/// A fitted ETS model: its parameters, initial states, fit statistics, fitted values, and
/// forecasts through [`predict`](FittedEts::predict).
#[derive(Debug, Clone)]
pub struct FittedEts {
    spec: EtsSpec,
    m: usize,
    params: EtsParams,
    /// Initial states: level, trend (0 without one), then the m seasonal states in time order.
    initial: Vec<f64>,
    /// The states after the last observation: level, trend, then the seasonal ring.
    last_level: f64,
    last_trend: f64,
    /// The seasonal states for the m periods after the series, in time order.
    next_seasons: Vec<f64>,
    fitted: Vec<f64>,
    y: Vec<f64>,
    sigma2: f64,
    loglik: f64,
    aic: f64,
    aicc: f64,
    bic: f64,
    mse: f64,
    n_params: usize,
    iterations: usize,
    simulations: usize,
    candidates: Vec<(EtsSpec, f64)>,
}

impl FittedEts {
    /// The model.
    pub fn spec(&self) -> EtsSpec {
        self.spec
    }

    /// The model's printed name (`"ETS(M,Ad,M)"`).
    pub fn model(&self) -> String {
        self.spec.to_string()
    }

    /// The seasonal period (1 without a season).
    pub fn season_length(&self) -> usize {
        self.m
    }

    /// The smoothing parameters.
    pub fn params(&self) -> EtsParams {
        self.params
    }

    /// The estimated initial level.
    pub fn initial_level(&self) -> f64 {
        self.initial[0]
    }

    /// The estimated initial trend (`None` without a trend).
    pub fn initial_trend(&self) -> Option<f64> {
        self.spec.has_trend().then_some(self.initial[1])
    }

    /// The estimated initial seasonal states for the first season's periods in time order
    /// (empty without a season).
    pub fn initial_seasons(&self) -> &[f64] {
        if self.spec.has_season() {
            &self.initial[2..]
        } else {
            &[]
        }
    }

    /// The log-likelihood, in R's convention (see the module documentation).
    pub fn loglik(&self) -> f64 {
        self.loglik
    }

    /// Akaike's information criterion.
    pub fn aic(&self) -> f64 {
        self.aic
    }

    /// AIC corrected for small samples.
    pub fn aicc(&self) -> f64 {
        self.aicc
    }

    /// Schwarz's Bayesian criterion.
    pub fn bic(&self) -> f64 {
        self.bic
    }

    /// The value of `criterion`.
    pub fn criterion(&self, criterion: Criterion) -> f64 {
        match criterion {
            Criterion::Aic => self.aic,
            Criterion::Aicc => self.aicc,
            Criterion::Bic => self.bic,
        }
    }

    /// The innovation variance (relative for multiplicative errors), sum of squares over
    /// `n - k` as R computes it.
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }

    /// The mean squared one-step error, in the data's units.
    pub fn mse(&self) -> f64 {
        self.mse
    }

    /// The number of estimated parameters, the variance included.
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// Optimizer iterations used.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The one-step fitted values, aligned with the series.
    pub fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// The response residuals `y - fitted`.
    pub fn residuals(&self) -> Vec<f64> {
        self.y
            .iter()
            .zip(&self.fitted)
            .map(|(y, f)| y - f)
            .collect()
    }

    /// For an [`AutoEts`] fit, every candidate model with its criterion value (infinite when
    /// it could not be fitted); empty for a single [`Ets`] fit.
    pub fn candidates(&self) -> &[(EtsSpec, f64)] {
        &self.candidates
    }

    /// Point forecasts for `h` steps with prediction intervals at `levels` (percent).
    ///
    /// Intervals are analytic for models of classes 1 and 2 (no multiplicative season;
    /// Hyndman et al. 2008, ch. 6) and come from simulated sample paths otherwise (shocks on
    /// a rank-1 lattice, a quasi-Monte Carlo design: deterministic, and at every step exactly
    /// the normal quantiles).
    pub fn predict(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_levels(levels)?;
        if h == 0 {
            return Ok(Forecast {
                mean: Vec::new(),
                intervals: levels
                    .iter()
                    .map(|&level| Interval {
                        level,
                        lower: Vec::new(),
                        upper: Vec::new(),
                    })
                    .collect(),
            });
        }
        let mean = self.point_forecast(h);
        let intervals = if levels.is_empty() {
            Vec::new()
        } else if self.spec.class() == 3 {
            self.simulated_intervals(h, levels)
        } else {
            let var = self.analytic_variance(&mean);
            levels
                .iter()
                .map(|&level| {
                    let z = normal_quantile(0.5 + level / 200.0);
                    Interval {
                        level,
                        lower: mean
                            .iter()
                            .zip(&var)
                            .map(|(m, v)| m - z * v.max(0.0).sqrt())
                            .collect(),
                        upper: mean
                            .iter()
                            .zip(&var)
                            .map(|(m, v)| m + z * v.max(0.0).sqrt())
                            .collect(),
                    }
                })
                .collect()
        };
        Ok(Forecast { mean, intervals })
    }

    fn phi(&self) -> f64 {
        self.params.phi.unwrap_or(1.0)
    }

    fn point_forecast(&self, h: usize) -> Vec<f64> {
        let phi = self.phi();
        let mut damp = 0.0;
        let mut phi_pow = 1.0;
        (0..h)
            .map(|i| {
                phi_pow *= phi;
                damp += phi_pow;
                let trend = if self.spec.has_trend() {
                    damp * self.last_trend
                } else {
                    0.0
                };
                let base = self.last_level + trend;
                match self.spec.season {
                    SeasonType::None => base,
                    SeasonType::Additive => base + self.next_seasons[i % self.m],
                    SeasonType::Multiplicative => base * self.next_seasons[i % self.m],
                }
            })
            .collect()
    }

    /// `c_j = alpha + beta * phi_j + gamma * [j mod m == 0]` for j = 1..h-1 (Hyndman et al.
    /// 2008, table 6.1), the weights of past errors in the forecast variance.
    fn c_weights(&self, h: usize) -> Vec<f64> {
        let phi = self.phi();
        let beta = self.params.beta.unwrap_or(0.0);
        let gamma = self.params.gamma.unwrap_or(0.0);
        let mut out = Vec::with_capacity(h);
        let mut phi_j = 0.0;
        let mut pow = 1.0;
        for j in 1..h {
            pow *= phi;
            phi_j += pow;
            let seasonal = if self.m > 1 && j % self.m == 0 {
                gamma
            } else {
                0.0
            };
            out.push(self.params.alpha + beta * phi_j + seasonal);
        }
        out
    }

    fn analytic_variance(&self, mean: &[f64]) -> Vec<f64> {
        let h = mean.len();
        let c = self.c_weights(h);
        let s2 = self.sigma2;
        if self.spec.class() == 1 {
            let mut acc = 0.0;
            (0..h)
                .map(|i| {
                    if i > 0 {
                        acc += c[i - 1] * c[i - 1];
                    }
                    s2 * (1.0 + acc)
                })
                .collect()
        } else {
            // Class 2: theta_1 = mu_1^2, theta_h = mu_h^2 + s2 * sum_j c_j^2 theta_{h-j},
            // v_h = (1 + s2) theta_h - mu_h^2.
            let mut theta = Vec::with_capacity(h);
            for i in 0..h {
                let mut t = mean[i] * mean[i];
                for j in 1..=i {
                    t += s2 * c[j - 1] * c[j - 1] * theta[i - j];
                }
                theta.push(t);
            }
            (0..h)
                .map(|i| (1.0 + s2) * theta[i] - mean[i] * mean[i])
                .collect()
        }
    }

    fn simulated_intervals(&self, h: usize, levels: &[f64]) -> Vec<Interval> {
        // Shocks from a rank-1 lattice (randomized quasi-Monte Carlo): at every step the
        // paths' shocks are exactly the normal quantiles of (i + 0.5) / N in a different
        // order, so the simulated quantiles converge much faster than with random draws.
        let paths = next_prime(self.simulations.max(101));
        let table: Vec<f64> = (0..paths)
            .map(|i| normal_quantile((i as f64 + 0.5) / paths as f64))
            .collect();
        let generator = (paths as f64 * 0.381_966).round() as usize % paths;
        let mut multipliers = Vec::with_capacity(h);
        let mut mult = 1usize;
        for _ in 0..h {
            mult = mult * generator.max(2) % paths;
            multipliers.push(mult);
        }
        let sd = self.sigma2.max(0.0).sqrt();
        let phi = self.phi();
        let alpha = self.params.alpha;
        let beta = self.params.beta.unwrap_or(0.0);
        let gamma = self.params.gamma.unwrap_or(0.0);
        let mut draws = vec![0.0; paths * h];
        let mut seasons = vec![0.0; self.m.max(1)];
        for p in 0..paths {
            let mut l = self.last_level;
            let mut b = self.last_trend;
            seasons.copy_from_slice(&self.next_seasons[..self.m.max(1)]);
            for step in 0..h {
                let j = step % self.m.max(1);
                let q = if self.spec.has_trend() {
                    l + phi * b
                } else {
                    l
                };
                let s = seasons[j];
                let yhat = match self.spec.season {
                    SeasonType::None => q,
                    SeasonType::Additive => q + s,
                    SeasonType::Multiplicative => q * s,
                };
                let index = ((p + 1) * multipliers[step] + step * 517) % paths;
                let e = table[index] * sd;
                let y = match self.spec.error {
                    ErrorType::Additive => yhat + e,
                    ErrorType::Multiplicative => yhat * (1.0 + e),
                };
                draws[step * paths + p] = y;
                let (lnew, bnew, snew) = update(self.spec, alpha, beta, gamma, phi, l, b, s, q, y);
                l = lnew;
                b = bnew;
                if self.spec.has_season() {
                    seasons[j] = snew;
                }
            }
        }
        let mut out: Vec<Interval> = levels
            .iter()
            .map(|&level| Interval {
                level,
                lower: Vec::with_capacity(h),
                upper: Vec::with_capacity(h),
            })
            .collect();
        for step in 0..h {
            let col = &mut draws[step * paths..(step + 1) * paths];
            // The middle first: each later selection then works on one side only.
            let (lower_half, upper_half) = {
                let mid = paths / 2;
                col.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
                col.split_at_mut(mid)
            };
            for iv in out.iter_mut() {
                let tail = (1.0 - iv.level / 100.0) / 2.0;
                iv.lower
                    .push(side_quantile(lower_half, upper_half, tail, paths));
                iv.upper
                    .push(side_quantile(lower_half, upper_half, 1.0 - tail, paths));
            }
        }
        out
    }
}

/// The seasonal periods ETS handles (R refuses seasons above 24 too).
pub const MAX_SEASON: usize = 24;
const DEFAULT_SIMULATIONS: usize = 1021;
const LOWER: f64 = 1e-4;
const UPPER: f64 = 0.9999;
const PHI_LOWER: f64 = 0.8;
const PHI_UPPER: f64 = 0.98;

/// A sum of natural logarithms of positive numbers taken with one `ln` per 32 terms: the
/// binary exponents are summed exactly and the mantissas (in [1, 2)) multiplied.
struct LogSum {
    exponents: i64,
    mantissas: f64,
    pending: u32,
    total: f64,
}

impl LogSum {
    fn new() -> Self {
        LogSum {
            exponents: 0,
            mantissas: 1.0,
            pending: 0,
            total: 0.0,
        }
    }

    #[inline(always)]
    fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i64;
        if exponent == 0 || exponent == 0x7ff {
            // Subnormal, infinite or NaN: take the logarithm directly.
            self.total += x.ln();
            return;
        }
        self.exponents += exponent - 1023;
        self.mantissas *= f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
        self.pending += 1;
        if self.pending == 32 {
            self.total += self.mantissas.ln();
            self.mantissas = 1.0;
            self.pending = 0;
        }
    }

    fn value(&self) -> f64 {
        self.total + self.mantissas.ln() + self.exponents as f64 * std::f64::consts::LN_2
    }
}

/// The quantile `p` (R's type 7) of `n` values split at their median (`lower` holds the
/// smaller ones), by selection within the half that holds both order statistics needed.
fn side_quantile(lower: &mut [f64], upper: &mut [f64], p: f64, n: usize) -> f64 {
    let pos = p * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let k = lower.len();
    let (half, i) = if lo + 1 < k {
        (lower, lo)
    } else if lo >= k {
        (upper, lo - k)
    } else {
        // The two order statistics straddle the split: the largest of the lower half and
        // the smallest of the upper one.
        let low = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let high = upper.iter().copied().fold(f64::INFINITY, f64::min);
        return if frac == 0.0 {
            low
        } else {
            low + frac * (high - low)
        };
    };
    let (_, &mut low, above) = half.select_nth_unstable_by(i, |a, b| a.total_cmp(b));
    if frac == 0.0 || above.is_empty() {
        return low;
    }
    let high = above.iter().copied().fold(f64::INFINITY, f64::min);
    low + frac * (high - low)
}

/// The smallest prime at least `n`.
fn next_prime(n: usize) -> usize {
    let is_prime = |k: usize| k >= 2 && (2..).take_while(|d| d * d <= k).all(|d| k % d != 0);
    (n..).find(|&k| is_prime(k)).unwrap_or(n)
}

/// One step of the state recursions in R's error-correction form (the same for additive
/// and multiplicative errors): returns the new level, trend and seasonal state.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update(
    spec: EtsSpec,
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    l: f64,
    b: f64,
    s: f64,
    q: f64,
    y: f64,
) -> (f64, f64, f64) {
    let p = match spec.season {
        SeasonType::None => y,
        SeasonType::Additive => y - s,
        SeasonType::Multiplicative => y / s,
    };
    let lnew = q + alpha * (p - q);
    let bnew = if spec.has_trend() {
        let phib = phi * b;
        phib + (beta / alpha) * (lnew - l - phib)
    } else {
        0.0
    };
    let snew = match spec.season {
        SeasonType::None => s,
        SeasonType::Additive => s + gamma * (y - q - s),
        SeasonType::Multiplicative => s + gamma * (y / q - s),
    };
    (lnew, bnew, snew)
}

/// Where each free parameter sits in the parameter vector.
#[derive(Debug, Clone, Copy)]
struct Layout {
    spec: EtsSpec,
    m: usize,
    beta: Option<usize>,
    gamma: Option<usize>,
    phi: Option<usize>,
    level: usize,
    trend: Option<usize>,
    /// The first of the m - 1 free seasonal states (`None` when the season is fixed).
    season: Option<usize>,
    n_free: usize,
    /// The initial seasonal states when they are held fixed.
    fixed: [f64; MAX_SEASON],
}

impl Layout {
    fn new(spec: EtsSpec, m: usize) -> Self {
        Layout::build(spec, m, None)
    }

    /// A layout whose initial seasonal states are the given ones instead of parameters.
    fn with_fixed_seasons(spec: EtsSpec, m: usize, seasons: &[f64]) -> Self {
        Layout::build(spec, m, Some(seasons))
    }

    fn build(spec: EtsSpec, m: usize, fixed_seasons: Option<&[f64]>) -> Self {
        let m = if spec.has_season() { m.max(2) } else { 1 };
        let mut i = 1;
        let mut next = |on: bool| {
            on.then(|| {
                i += 1;
                i - 1
            })
        };
        let beta = next(spec.has_trend());
        let gamma = next(spec.has_season());
        let phi = next(spec.damped());
        let level = i;
        i += 1;
        let trend = spec.has_trend().then(|| {
            i += 1;
            i - 1
        });
        let free = spec.has_season() && fixed_seasons.is_none();
        let season = free.then_some(i);
        if free {
            i += m - 1;
        }
        let mut fixed = [0.0; MAX_SEASON];
        if let Some(sv) = fixed_seasons {
            fixed[..m].copy_from_slice(&sv[..m]);
        }
        Layout {
            spec,
            m,
            beta,
            gamma,
            phi,
            level,
            trend,
            season,
            n_free: i,
            fixed,
        }
    }

    /// The number of estimated quantities for the information criteria: the free
    /// parameters, the fixed seasonal states (they are estimated from the data too) and
    /// the variance.
    fn n_estimated(&self) -> usize {
        let fixed = if self.spec.has_season() && self.season.is_none() {
            self.m - 1
        } else {
            0
        };
        self.n_free + fixed + 1
    }

    /// Fills the first m slots of `ring` with the initial seasonal states.
    fn init_ring(&self, raw: &[f64], ring: &mut [f64]) {
        if !self.spec.has_season() {
            return;
        }
        let m = self.m;
        match self.season {
            Some(s0) => {
                ring[..m - 1].copy_from_slice(&raw[s0..s0 + m - 1]);
                ring[m - 1] = last_season(self, raw);
            }
            None => ring[..m].copy_from_slice(&self.fixed[..m]),
        }
    }

    fn n_smoothing(&self) -> usize {
        self.level
    }
}

/// The smoothing parameters and initial states decoded from a parameter vector.
struct Decoded {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

fn decode(layout: &Layout, raw: &[f64]) -> Decoded {
    Decoded {
        alpha: raw[0],
        beta: layout.beta.map(|i| raw[i]).unwrap_or(0.0),
        gamma: layout.gamma.map(|i| raw[i]).unwrap_or(0.0),
        phi: layout.phi.map(|i| raw[i]).unwrap_or(1.0),
    }
}

/// The last seasonal state, fixed so the season sums to 0 (additive) or m (multiplicative).
fn last_season(layout: &Layout, raw: &[f64]) -> f64 {
    let Some(s0) = layout.season else {
        return 0.0;
    };
    let sum: f64 = raw[s0..s0 + layout.m - 1].iter().sum();
    match layout.spec.season {
        SeasonType::Multiplicative => layout.m as f64 - sum,
        _ => -sum,
    }
}

/// The model's objective at `raw`: the sum of squared scaled residuals whose logarithm
/// times n is R's `lik` (see the module documentation), with the fitted values when asked.
/// Returns infinity where the recursions leave the model's domain.
fn objective(layout: &Layout, y: &[f64], raw: &[f64], fitted: Option<&mut Vec<f64>>) -> f64 {
    let spec = layout.spec;
    let m = layout.m;
    let d = decode(layout, raw);
    let mut l = raw[layout.level];
    let mut b = layout.trend.map(|i| raw[i]).unwrap_or(0.0);
    let mut ring = [0.0f64; MAX_SEASON];
    layout.init_ring(raw, &mut ring);
    if spec.season == SeasonType::Multiplicative && ring[..m].iter().any(|&s| s <= 0.0) {
        return f64::INFINITY;
    }
    let mult_err = spec.error == ErrorType::Multiplicative;
    let mut sse = 0.0;
    let mut log_sum = LogSum::new();
    let mut fitted = fitted;
    if let Some(f) = fitted.as_deref_mut() {
        f.clear();
    }
    let mut j = 0;
    for &yt in y {
        let q = if spec.has_trend() { l + d.phi * b } else { l };
        let s = ring[j];
        let yhat = match spec.season {
            SeasonType::None => q,
            SeasonType::Additive => q + s,
            SeasonType::Multiplicative => q * s,
        };
        if let Some(f) = fitted.as_deref_mut() {
            f.push(yhat);
        }
        if mult_err {
            if yhat.is_nan()
                || yhat <= 0.0
                || (spec.season == SeasonType::Multiplicative && (q.is_nan() || q <= 0.0))
            {
                return f64::INFINITY;
            }
            let e = (yt - yhat) / yhat;
            sse += e * e;
            log_sum.add(yhat);
        } else {
            if spec.season == SeasonType::Multiplicative && !(q > 0.0 && s > 0.0) {
                return f64::INFINITY;
            }
            let e = yt - yhat;
            sse += e * e;
        }
        let (lnew, bnew, snew) = update(spec, d.alpha, d.beta, d.gamma, d.phi, l, b, s, q, yt);
        l = lnew;
        b = bnew;
        if spec.has_season() {
            ring[j] = snew;
            j += 1;
            if j == m {
                j = 0;
            }
        }
    }
    let n = y.len() as f64;
    let value = if mult_err {
        sse * (2.0 * log_sum.value() / n).exp()
    } else {
        sse
    };
    if value.is_finite() {
        value
    } else {
        f64::INFINITY
    }
}

/// The objective with its Gauss-Newton pieces `J'J` and `J'r` with respect to the raw
/// parameters, from forward sensitivities of the recursions.
struct Linearized {
    jtj: Vec<f64>,
    jtr: Vec<f64>,
}

/// [`linearize_p`] for the layout's parameter count, so the per-step loops have a fixed
/// length the compiler can unroll.
fn linearize(layout: &Layout, y: &[f64], raw: &[f64]) -> Option<Linearized> {
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match layout.n_free {
                $($n => linearize_p::<$n>(layout, y, raw),)*
                _ => None,
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30)
}

fn linearize_p<const P: usize>(layout: &Layout, y: &[f64], raw: &[f64]) -> Option<Linearized> {
    let spec = layout.spec;
    let m = layout.m;
    let p = P;
    let d = decode(layout, raw);
    let mut l = raw[layout.level];
    let mut b = layout.trend.map(|i| raw[i]).unwrap_or(0.0);
    let mut ring = [0.0f64; MAX_SEASON];
    // Derivatives of the states with respect to the raw parameters.
    let mut dl = [0.0; P];
    let mut db = [0.0; P];
    let mut dring = [[0.0; P]; MAX_SEASON];
    dl[layout.level] = 1.0;
    if let Some(t) = layout.trend {
        db[t] = 1.0;
    }
    layout.init_ring(raw, &mut ring);
    if let Some(s0) = layout.season {
        for k in 0..m - 1 {
            dring[k][s0 + k] = 1.0;
            dring[m - 1][s0 + k] = -1.0;
        }
    }
    let mult_err = spec.error == ErrorType::Multiplicative;
    let ia = 0;
    let ib = layout.beta;
    let ig = layout.gamma;
    let iphi = layout.phi;
    let c = if spec.has_trend() {
        d.beta / d.alpha
    } else {
        0.0
    };

    let mut sse = 0.0;
    let mut log_sum = LogSum::new();
    let mut acc = [[0.0; P]; P];
    let mut jtr = [0.0; P];
    // For multiplicative errors: the mean of d(yhat)/yhat.
    let mut dlog = [0.0; P];
    let mut dq = [0.0; P];
    let mut dyhat = [0.0; P];
    let mut de = [0.0; P];
    let mut dp = [0.0; P];
    let mut dlnew = [0.0; P];
    let mut j = 0;
    for &yt in y {
        let q = if spec.has_trend() { l + d.phi * b } else { l };
        let s = ring[j];
        let ds = dring[j];
        // dq = dl + phi db + b dphi
        for k in 0..p {
            dq[k] = dl[k] + if spec.has_trend() { d.phi * db[k] } else { 0.0 };
        }
        if let Some(ip) = iphi {
            dq[ip] += b;
        }
        let yhat = match spec.season {
            SeasonType::None => {
                dyhat.copy_from_slice(&dq);
                q
            }
            SeasonType::Additive => {
                for k in 0..p {
                    dyhat[k] = dq[k] + ds[k];
                }
                q + s
            }
            SeasonType::Multiplicative => {
                for k in 0..p {
                    dyhat[k] = s * dq[k] + q * ds[k];
                }
                q * s
            }
        };
        let e = if mult_err {
            if yhat.is_nan()
                || yhat <= 0.0
                || (spec.season == SeasonType::Multiplicative && (q.is_nan() || q <= 0.0))
            {
                return None;
            }
            let e = yt / yhat - 1.0;
            let f = -yt / (yhat * yhat);
            for k in 0..p {
                de[k] = f * dyhat[k];
                dlog[k] += dyhat[k] / yhat;
            }
            log_sum.add(yhat);
            e
        } else {
            if spec.season == SeasonType::Multiplicative && !(q > 0.0 && s > 0.0) {
                return None;
            }
            for k in 0..p {
                de[k] = -dyhat[k];
            }
            yt - yhat
        };
        sse += e * e;
        for a in 0..p {
            let da = de[a];
            if da == 0.0 {
                continue;
            }
            jtr[a] += e * da;
            let row = &mut acc[a];
            for (bb, r) in row.iter_mut().enumerate().skip(a) {
                *r += da * de[bb];
            }
        }
        // p = y (-|/) s
        let pv = match spec.season {
            SeasonType::None => {
                dp.iter_mut().for_each(|v| *v = 0.0);
                yt
            }
            SeasonType::Additive => {
                for k in 0..p {
                    dp[k] = -ds[k];
                }
                yt - s
            }
            SeasonType::Multiplicative => {
                let f = -yt / (s * s);
                for k in 0..p {
                    dp[k] = f * ds[k];
                }
                yt / s
            }
        };
        // l' = q + alpha (p - q)
        let lnew = q + d.alpha * (pv - q);
        for k in 0..p {
            dlnew[k] = dq[k] + d.alpha * (dp[k] - dq[k]);
        }
        dlnew[ia] += pv - q;
        // b' = phi b + c (l' - l - phi b), c = beta / alpha
        if spec.has_trend() {
            let phib = d.phi * b;
            let r = lnew - l - phib;
            for k in 0..p {
                let dphib = d.phi * db[k];
                db[k] = dphib + c * (dlnew[k] - dl[k] - dphib);
            }
            if let Some(ip) = iphi {
                db[ip] += b * (1.0 - c);
            }
            // dc = dbeta / alpha - beta / alpha^2 dalpha
            if let Some(ibv) = ib {
                db[ibv] += r / d.alpha;
            }
            db[ia] -= r * d.beta / (d.alpha * d.alpha);
            b = phib + c * r;
        }
        // s' = s + gamma (t - s), t = y - q or y / q
        if spec.has_season() {
            let (tv, f) = match spec.season {
                SeasonType::Additive => (yt - q, -1.0),
                _ => (yt / q, -yt / (q * q)),
            };
            let snew = s + d.gamma * (tv - s);
            let dsj = &mut dring[j];
            for k in 0..p {
                dsj[k] += d.gamma * (f * dq[k] - dsj[k]);
            }
            if let Some(igv) = ig {
                dsj[igv] += tv - s;
            }
            ring[j] = snew;
            j += 1;
            if j == m {
                j = 0;
            }
        }
        l = lnew;
        dl.copy_from_slice(&dlnew);
    }
    // Mirror the upper triangle.
    let mut jtj = vec![0.0; p * p];
    for a in 0..p {
        for bb in 0..p {
            jtj[a * p + bb] = if bb >= a { acc[a][bb] } else { acc[bb][a] };
        }
    }
    let mut jtr = jtr.to_vec();
    let n = y.len() as f64;
    if mult_err {
        // r_t = G e_t with G = exp(mean ln yhat): J_t = G (de_t + e_t a), a = mean dln(yhat).
        let g2 = (2.0 * log_sum.value() / n).exp();
        for v in dlog.iter_mut() {
            *v /= n;
        }
        let a = &dlog[..];
        let v = jtr.clone();

        for r in 0..p {
            for cc in 0..p {
                jtj[r * p + cc] =
                    g2 * (jtj[r * p + cc] + v[r] * a[cc] + a[r] * v[cc] + sse * a[r] * a[cc]);
            }
            jtr[r] = g2 * (v[r] + sse * a[r]);
        }
        (sse * g2).is_finite().then_some(Linearized { jtj, jtr })
    } else {
        sse.is_finite().then_some(Linearized { jtj, jtr })
    }
}

/// The box of each smoothing parameter given the current `alpha` (R's usual bounds:
/// `beta <= alpha`, `gamma <= 1 - alpha`).
fn bounds(layout: &Layout, raw: &[f64], i: usize) -> (f64, f64) {
    let alpha = raw[0];
    if i == 0 {
        (LOWER, UPPER)
    } else if Some(i) == layout.beta {
        (LOWER, alpha.max(LOWER))
    } else if Some(i) == layout.gamma {
        (LOWER, (1.0 - alpha).max(LOWER))
    } else if Some(i) == layout.phi {
        (PHI_LOWER, PHI_UPPER)
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    }
}

/// Clips the smoothing parameters into their boxes (alpha first: the others depend on it).
fn project(layout: &Layout, raw: &mut [f64]) {
    for i in 0..layout.n_smoothing() {
        let (lo, hi) = bounds(layout, raw, i);
        raw[i] = raw[i].clamp(lo, hi);
    }
}

/// R's admissibility test (`forecast:::admissible`): the model is forecastable.
fn admissible(layout: &Layout, d: &Decoded) -> bool {
    let (alpha, beta, gamma, phi) = (d.alpha, d.beta, d.gamma, d.phi);
    let m = layout.m as f64;
    if !(0.0..=1.0 + 1e-8).contains(&phi) {
        return false;
    }
    if !layout.spec.has_season() {
        if alpha < 1.0 - 1.0 / phi || alpha > 1.0 + 1.0 / phi {
            return false;
        }
        if layout.spec.has_trend()
            && (beta < alpha * (phi - 1.0) || beta > (1.0 + phi) * (2.0 - alpha))
        {
            return false;
        }
        return true;
    }
    if gamma < (1.0 - 1.0 / phi - alpha).max(0.0) || gamma > 1.0 + 1.0 / phi - alpha {
        return false;
    }
    if alpha < 1.0 - 1.0 / phi - gamma * (1.0 - m + phi + phi * m) / (2.0 * phi * m) {
        return false;
    }
    if beta < -(1.0 - phi) * (gamma / m + alpha) {
        return false;
    }
    // The characteristic polynomial, lowest power first:
    // phi (1 - alpha - gamma), alpha + beta - alpha phi + gamma - 1, (alpha + beta - alpha phi)
    // repeated m - 2 times, alpha + beta - phi, 1.
    let mut poly = [0.0f64; MAX_SEASON + 2];
    let len = layout.m + 2;
    poly[0] = phi * (1.0 - alpha - gamma);
    poly[1] = alpha + beta - alpha * phi + gamma - 1.0;
    for c in poly.iter_mut().take(layout.m).skip(2) {
        *c = alpha + beta - alpha * phi;
    }
    poly[layout.m] = alpha + beta - phi;
    poly[layout.m + 1] = 1.0;
    roots_within(&poly[..len], 1.0 + 1e-10)
}

/// Whether every root of the polynomial (lowest power first) lies within `radius`, by the
/// Schur-Cohn step-down test (no root finding).
fn roots_within(poly: &[f64], radius: f64) -> bool {
    let mut a = [0.0f64; MAX_SEASON + 2];
    let mut next = [0.0f64; MAX_SEASON + 2];
    if poly.len() > a.len() {
        return false;
    }
    let mut scale = 1.0;
    for (i, c) in poly.iter().enumerate() {
        a[i] = c * scale;
        scale *= radius;
    }
    let mut len = poly.len();
    while len > 1 && a[len - 1] == 0.0 {
        len -= 1;
    }
    while len > 1 {
        let d = len - 1;
        let lead = a[d];
        let c0 = a[0];
        if c0.abs() >= lead.abs() {
            // A root on or outside the circle.
            return false;
        }
        let mut biggest = 0.0f64;
        for i in 0..d {
            next[i] = lead * a[i + 1] - c0 * a[d - 1 - i];
            biggest = biggest.max(next[i].abs());
        }
        if biggest == 0.0 || !biggest.is_finite() {
            return false;
        }
        // Normalize to avoid underflow over many steps.
        for i in 0..d {
            a[i] = next[i] / biggest;
        }
        len = d;
    }
    true
}

/// R's `initstate`: the starting level, trend and season from a classical decomposition of
/// the first seasons and a regression on the seasonally adjusted start.
fn initial_states(layout: &Layout, y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let spec = layout.spec;
    let m = layout.m;
    let mut seasons = Vec::new();
    let adjusted: Vec<f64> = if spec.has_season() {
        let cycles = (y.len() / m).min(3);
        let x = &y[..cycles * m];
        let multiplicative = spec.season == SeasonType::Multiplicative;
        let trend = centered_moving_average(x, m);
        let mut sums = vec![0.0; m];
        let mut counts = vec![0usize; m];
        for (i, (v, t)) in x.iter().zip(&trend).enumerate() {
            if let Some(t) = t {
                let detrended = if multiplicative { v / t } else { v - t };
                sums[i % m] += detrended;
                counts[i % m] += 1;
            }
        }
        let mut figure: Vec<f64> = sums
            .iter()
            .zip(&counts)
            .map(|(s, &c)| {
                if c > 0 {
                    s / c as f64
                } else if multiplicative {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let mean = figure.iter().sum::<f64>() / m as f64;
        for f in figure.iter_mut() {
            if multiplicative {
                *f /= mean;
            } else {
                *f -= mean;
            }
        }
        let adjusted = x
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if multiplicative {
                    v / figure[i % m].max(1e-2)
                } else {
                    v - figure[i % m]
                }
            })
            .collect();
        seasons = figure;
        adjusted
    } else {
        y.to_vec()
    };
    let maxn = adjusted.len().min(10.max(2 * m));
    let start = &adjusted[..maxn];
    let (level, trend) = if spec.has_trend() {
        // Least squares of start[i] on i + 1.
        let n = maxn as f64;
        let xm = (n + 1.0) / 2.0;
        let ym = start.iter().sum::<f64>() / n;
        let mut sxy = 0.0;
        let mut sxx = 0.0;
        for (i, v) in start.iter().enumerate() {
            let dx = (i + 1) as f64 - xm;
            sxy += dx * (v - ym);
            sxx += dx * dx;
        }
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let mut l0 = ym - slope * xm;
        let mut b0 = slope;
        if (l0 + b0).abs() < 1e-8 {
            l0 *= 1.0 + 1e-3;
            b0 *= 1.0 - 1e-3;
        }
        (l0, b0)
    } else {
        (start.iter().sum::<f64>() / maxn as f64, 0.0)
    };
    let mut raw = vec![0.0; layout.n_free];
    // Smoothing starts as R's ets: alpha low for seasonal data, beta and gamma small,
    // phi near its upper bound.
    let alpha = LOWER + 0.2 * (UPPER - LOWER) / m as f64;
    raw[0] = alpha;
    if let Some(i) = layout.beta {
        raw[i] = (LOWER + 0.1 * (UPPER - LOWER))
            .min(0.5 * alpha)
            .max(LOWER * 1.5);
    }
    if let Some(i) = layout.gamma {
        raw[i] = (LOWER + 0.05 * (UPPER - LOWER)).min(0.5 * (1.0 - alpha));
    }
    if let Some(i) = layout.phi {
        raw[i] = PHI_LOWER + 0.99 * (PHI_UPPER - PHI_LOWER) - 1e-3;
    }
    raw[layout.level] = level;
    if let Some(i) = layout.trend {
        raw[i] = trend;
    }
    if let Some(s0) = layout.season {
        raw[s0..s0 + m - 1].copy_from_slice(&seasons[..m - 1]);
    }
    (raw, seasons)
}

/// The centered moving average of order m (a 2 x m average for even m), `None` at the ends,
/// as R's `decompose` computes the trend.
fn centered_moving_average(x: &[f64], m: usize) -> Vec<Option<f64>> {
    let n = x.len();
    let mut out = vec![None; n];
    if m % 2 == 1 {
        let half = m / 2;
        for i in half..n.saturating_sub(half) {
            out[i] = Some(x[i - half..=i + half].iter().sum::<f64>() / m as f64);
        }
    } else {
        let half = m / 2;
        for i in half..n.saturating_sub(half) {
            let inner: f64 = x[i + 1 - half..i + half].iter().sum();
            out[i] = Some((inner + 0.5 * (x[i - half] + x[i + half])) / m as f64);
        }
    }
    out
}

/// Solves the symmetric positive definite system `a x = b` (n x n) by Cholesky into `x`,
/// using `l` (n x n) as work space; `false` when the matrix is not positive definite.
fn cholesky_solve(a: &[f64], b: &[f64], n: usize, l: &mut [f64], x: &mut [f64]) -> bool {
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum.is_nan() || sum <= 0.0 {
                    return false;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    // Forward substitution into x, then back substitution in place.
    for i in 0..n {
        let mut sum = b[i];
        for k in 0..i {
            sum -= l[i * n + k] * x[k];
        }
        x[i] = sum / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut sum = x[i];
        for k in i + 1..n {
            sum -= l[k * n + i] * x[k];
        }
        x[i] = sum / l[i * n + i];
    }
    true
}

const MAX_ITERATIONS: usize = 100;
const POLISH_ITERATIONS: usize = 30;
/// How many seasonal candidates of an automatic selection get the second stage.
const POLISHED_CANDIDATES: usize = 1;
/// An accepted step that lowers the objective by less than this (relative) ends the fit: a
/// change of n * 1e-7 in the criterion.
const REL_TOLERANCE: f64 = 1e-7;
/// The same while an automatic selection compares candidates: a change of n * 1e-6 in the
/// criterion, far below any difference that decides between models. The winner is then
/// refined to [`REL_TOLERANCE`].
const SELECTION_TOLERANCE: f64 = 1e-6;
/// The same for the second stage, whose many initial states make progress slow near the
/// optimum: a change of n * 1e-5 in the criterion per step.
const POLISH_TOLERANCE: f64 = 1e-5;

/// Levenberg-Marquardt with box constraints on the smoothing parameters (a parameter at a
/// bound whose gradient points outwards is held there; steps are projected onto the box),
/// rejecting steps that leave the admissible region or the model's domain.
fn optimize(
    layout: &Layout,
    y: &[f64],
    start_raw: &[f64],
    max_iterations: usize,
    tolerance: f64,
) -> Option<(Vec<f64>, f64, usize)> {
    let p = layout.n_free;
    let ns = layout.n_smoothing();
    let mut raw = start_raw.to_vec();
    project(layout, &mut raw);
    if !admissible(layout, &decode(layout, &raw)) {
        return None;
    }
    let mut value = objective(layout, y, &raw, None);
    if !value.is_finite() {
        return None;
    }
    let mut lambda = 1e-3;
    let mut nu = 2.0;
    let mut trial = vec![0.0; p];
    let mut a = vec![0.0; p * p];
    let mut rhs = vec![0.0; p];
    let mut free = vec![true; p];
    let mut factor = vec![0.0; p * p];
    let mut step = vec![0.0; p];
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let Some(lin) = linearize(layout, y, &raw) else {
            break;
        };
        for i in 0..p {
            free[i] = true;
            if i < ns {
                let (lo, hi) = bounds(layout, &raw, i);
                let g = lin.jtr[i];
                if (raw[i] <= lo + 1e-12 && g > 0.0) || (raw[i] >= hi - 1e-12 && g < 0.0) {
                    free[i] = false;
                }
            }
        }
        let mut improved = false;
        let mut converged = false;
        for _ in 0..20 {
            for r in 0..p {
                for c in 0..p {
                    a[r * p + c] = if free[r] && free[c] {
                        lin.jtj[r * p + c]
                    } else if r == c {
                        1.0
                    } else {
                        0.0
                    };
                }
                if free[r] {
                    let d = lin.jtj[r * p + r];
                    a[r * p + r] = d + lambda * d.max(1e-12) + 1e-300;
                    rhs[r] = -lin.jtr[r];
                } else {
                    rhs[r] = 0.0;
                }
            }
            if !cholesky_solve(&a, &rhs, p, &mut factor, &mut step) {
                lambda *= 10.0;
                continue;
            }
            for i in 0..p {
                trial[i] = raw[i] + step[i];
            }
            project(layout, &mut trial);
            let candidate = if admissible(layout, &decode(layout, &trial)) {
                objective(layout, y, &trial, None)
            } else {
                f64::INFINITY
            };
            if candidate < value {
                // Nielsen's update: the better the quadratic model predicted the decrease,
                // the more the damping shrinks.
                let mut predicted = 0.0;
                for r in 0..p {
                    let row = &lin.jtj[r * p..(r + 1) * p];
                    let js: f64 = row.iter().zip(&step).map(|(a, b)| a * b).sum();
                    predicted -= step[r] * (2.0 * lin.jtr[r] + js);
                }
                let rho = if predicted > 0.0 {
                    (value - candidate) / predicted
                } else {
                    0.0
                };
                let rel = (value - candidate) / value.max(1e-300);
                raw.copy_from_slice(&trial);
                value = candidate;
                let shrink = (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
                lambda = (lambda * shrink).max(1e-12);
                nu = 2.0;
                improved = true;
                converged = rel < tolerance;
                break;
            }
            let moved: f64 = trial
                .iter()
                .zip(&raw)
                .map(|(t, r)| (t - r) * (t - r))
                .sum::<f64>()
                .sqrt();
            let size: f64 = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
            if moved <= 1e-12 * (1.0 + size) {
                converged = true;
                break;
            }
            lambda *= nu;
            nu *= 2.0;
            if lambda > 1e12 {
                converged = true;
                break;
            }
        }
        if converged || !improved {
            break;
        }
    }
    Some((raw, value, iterations))
}

/// A model after optimization, before its statistics are computed.
#[derive(Clone)]
struct Stage {
    layout: Layout,
    raw: Vec<f64>,
    value: f64,
    iterations: usize,
    /// R's heuristic initial seasonal states (empty without a season).
    seasons: Vec<f64>,
}

impl Stage {
    /// The information criterion at this optimum (see [`fit_model`] for the formulas).
    fn criterion(&self, n: usize, criterion: Criterion) -> f64 {
        let (_, aic, aicc, bic) = information(self.value, n, self.layout.n_estimated());
        match criterion {
            Criterion::Aic => aic,
            Criterion::Aicc => aicc,
            Criterion::Bic => bic,
        }
    }
}

/// R's `lik`, AIC, AICc and BIC from the objective, the series length and the number of
/// estimated quantities.
fn information(value: f64, n: usize, k: usize) -> (f64, f64, f64, f64) {
    let nf = n as f64;
    let kf = k as f64;
    let lik = nf * value.ln();
    let aic = lik + 2.0 * kf;
    let aicc = if n > k + 1 {
        aic + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0)
    } else {
        f64::INFINITY
    };
    let bic = lik + nf.ln() * kf;
    (lik, aic, aicc, bic)
}

/// Optimizes from R's start, or from a more reactive one when R's is not admissible.
fn start_and_optimize(
    layout: &Layout,
    y: &[f64],
    start: &[f64],
    max_it: usize,
    tolerance: f64,
) -> Option<(Vec<f64>, f64, usize)> {
    let mut best = optimize(layout, y, start, max_it, tolerance);
    if best.is_some() {
        return best;
    }
    let mut alt = start.to_vec();
    alt[0] = 0.5;
    if let Some(i) = layout.beta {
        alt[i] = 0.05;
    }
    if let Some(i) = layout.gamma {
        alt[i] = 0.1;
    }
    if let Some((raw, value, it)) = optimize(layout, y, &alt, max_it, tolerance) {
        let used = best.as_ref().map(|b| b.2).unwrap_or(0);
        if best.as_ref().map(|b| value < b.1).unwrap_or(true) {
            best = Some((raw, value, it + used));
        } else if let Some(b) = best.as_mut() {
            b.2 += it;
        }
    }
    best
}

/// The first stage: seasonal models with their initial seasonal states held at R's
/// heuristic (a handful of parameters, fast); other models completely.
fn first_stage(full: &Layout, y: &[f64], tolerance: f64) -> Result<Stage> {
    let spec = full.spec;
    let (start_full, seasons) = initial_states(full, y);
    let layout = if spec.has_season() {
        Layout::with_fixed_seasons(spec, full.m, &seasons)
    } else {
        *full
    };
    let found = start_and_optimize(
        &layout,
        y,
        &start_full[..layout.n_free],
        MAX_ITERATIONS,
        tolerance,
    );
    let Some((raw, value, iterations)) = found else {
        return Err(Error::Fit {
            model: spec.to_string(),
            message: "no admissible starting point: the recursions leave the model's domain \
                      (for multiplicative models, fitted values must stay positive)"
                .into(),
        });
    };
    Ok(Stage {
        layout,
        raw,
        value,
        iterations,
        seasons,
    })
}

/// The second stage for seasonal models: every initial state is freed and estimated with
/// the smoothing parameters, starting from the first stage's optimum.
fn polish(full: &Layout, y: &[f64], stage: Stage) -> Stage {
    if !full.spec.has_season() || stage.layout.season.is_some() {
        return stage;
    }
    let m = full.m;
    let mut raw = stage.raw.clone();
    raw.extend_from_slice(&stage.seasons[..m - 1]);
    match optimize(full, y, &raw, POLISH_ITERATIONS, POLISH_TOLERANCE) {
        Some((raw, value, it)) if value <= stage.value => Stage {
            layout: *full,
            raw,
            value,
            iterations: stage.iterations + it,
            seasons: stage.seasons,
        },
        _ => stage,
    }
}

/// Continues the selected model's first stage to the full tolerance (a polished model
/// already went through its second stage).
fn refine(y: &[f64], stage: Stage) -> Stage {
    if stage.layout.season.is_some() || stage.iterations == 0 {
        return stage;
    }
    match optimize(&stage.layout, y, &stage.raw, MAX_ITERATIONS, REL_TOLERANCE) {
        Some((raw, value, it)) if value <= stage.value => Stage {
            raw,
            value,
            iterations: stage.iterations + it,
            ..stage
        },
        _ => stage,
    }
}

/// Fits one model completely (both stages).
fn fit_model(full: &Layout, y: &[f64], simulations: usize) -> Result<FittedEts> {
    let stage = first_stage(full, y, REL_TOLERANCE)?;
    finish(polish(full, y, stage), y, simulations)
}

/// The fit statistics, fitted values and final states of an optimized model.
fn finish(stage: Stage, y: &[f64], simulations: usize) -> Result<FittedEts> {
    let Stage {
        layout,
        raw,
        value,
        iterations,
        ..
    } = stage;
    let layout = &layout;
    let spec = layout.spec;
    let mut fitted = Vec::with_capacity(y.len());
    let check = objective(layout, y, &raw, Some(&mut fitted));
    if !check.is_finite() {
        return Err(Error::Fit {
            model: spec.to_string(),
            message: "the optimizer ended outside the model's domain".into(),
        });
    }
    let d = decode(layout, &raw);
    let n = y.len();
    let nf = n as f64;
    let k = layout.n_estimated();
    let (lik, aic, aicc, bic) = information(value, n, k);
    let innovations_sse: f64 = y
        .iter()
        .zip(&fitted)
        .map(|(v, f)| match spec.error {
            ErrorType::Additive => (v - f) * (v - f),
            ErrorType::Multiplicative => ((v - f) / f) * ((v - f) / f),
        })
        .sum();
    let mse = y
        .iter()
        .zip(&fitted)
        .map(|(v, f)| (v - f) * (v - f))
        .sum::<f64>()
        / nf;
    let sigma2 = innovations_sse / (n.saturating_sub(k).max(1)) as f64;
    // Run the recursions once more for the final states.
    let m = layout.m;
    let mut l = raw[layout.level];
    let mut b = layout.trend.map(|i| raw[i]).unwrap_or(0.0);
    let mut ring = vec![0.0; m];
    let mut initial = vec![l, b];
    if spec.has_season() {
        layout.init_ring(&raw, &mut ring);
        initial.extend_from_slice(&ring);
    }
    let mut j = 0;
    for &yt in y {
        let q = if spec.has_trend() { l + d.phi * b } else { l };
        let s = ring[j];
        let (lnew, bnew, snew) = update(spec, d.alpha, d.beta, d.gamma, d.phi, l, b, s, q, yt);
        l = lnew;
        b = bnew;
        if spec.has_season() {
            ring[j] = snew;
            j = (j + 1) % m;
        }
    }
    // The seasonal states for the periods after the series, in time order.
    let next_seasons: Vec<f64> = if spec.has_season() {
        (0..m).map(|i| ring[(j + i) % m]).collect()
    } else {
        vec![0.0]
    };
    Ok(FittedEts {
        spec,
        m: if spec.has_season() { m } else { 1 },
        params: EtsParams {
            alpha: d.alpha,
            beta: layout.beta.map(|_| d.beta),
            gamma: layout.gamma.map(|_| d.gamma),
            phi: layout.phi.map(|_| d.phi),
        },
        initial,
        last_level: l,
        last_trend: b,
        next_seasons,
        fitted,
        y: y.to_vec(),
        sigma2,
        loglik: -0.5 * lik,
        aic,
        aicc,
        bic,
        mse,
        n_params: k,
        iterations,
        simulations,
        candidates: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_print() {
        let s = EtsSpec::parse("MAdM").unwrap();
        assert_eq!(s.to_string(), "ETS(M,Ad,M)");
        assert_eq!(EtsSpec::parse("ETS(A,N,N)").unwrap().code(), "ANN");
        assert!(EtsSpec::parse("MMM").is_err());
        assert!(EtsSpec::parse("ANdN").is_err());
    }

    #[test]
    fn selected_quantiles_equal_sorted_ones() {
        for n in [101usize, 1021] {
            let values: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % n) as f64 * 0.37 - 20.0)
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| a.total_cmp(b));
            for p in [0.025, 0.1, 0.5, 0.9, 0.975] {
                let pos = p * (n - 1) as f64;
                let lo = pos.floor() as usize;
                let want =
                    sorted[lo] + (pos - lo as f64) * (sorted[(lo + 1).min(n - 1)] - sorted[lo]);
                let mut work = values.clone();
                let mid = n / 2;
                work.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
                let (lower, upper) = work.split_at_mut(mid);
                assert!(
                    (side_quantile(lower, upper, p, n) - want).abs() < 1e-12,
                    "n {n} p {p}"
                );
            }
        }
    }

    #[test]
    fn log_sum_equals_the_sum_of_logs() {
        let xs: Vec<f64> = (1..200)
            .map(|i| (i as f64).powf(1.7) * 1e-3 + 1e-6)
            .collect();
        let mut acc = LogSum::new();
        xs.iter().for_each(|&x| acc.add(x));
        let direct: f64 = xs.iter().map(|x| x.ln()).sum();
        assert!((acc.value() - direct).abs() < 1e-9 * direct.abs().max(1.0));
    }

    #[test]
    fn schur_cohn_matches_known_roots() {
        // (z - 0.5)(z + 0.9) = z^2 + 0.4 z - 0.45: inside.
        assert!(roots_within(&[-0.45, 0.4, 1.0], 1.0));
        // (z - 1.1)(z + 0.2) = z^2 - 0.9 z - 0.22: one root outside.
        assert!(!roots_within(&[-0.22, -0.9, 1.0], 1.0));
    }

    /// The sensitivities agree with finite differences for every model.
    #[test]
    fn derivatives_match_finite_differences() {
        let y: Vec<f64> = (0..40)
            .map(|t| 100.0 + 2.0 * t as f64 + 10.0 * ((t % 4) as f64 - 1.5) + ((t * 7) % 5) as f64)
            .collect();
        for spec in EtsSpec::all(true) {
            let layout = Layout::new(spec, 4);
            let (mut raw, _) = initial_states(&layout, &y);
            raw[0] = 0.3;
            if let Some(i) = layout.beta {
                raw[i] = 0.1;
            }
            if let Some(i) = layout.gamma {
                raw[i] = 0.2;
            }
            if let Some(i) = layout.phi {
                raw[i] = 0.9;
            }
            let lin = linearize(&layout, &y, &raw).unwrap();
            for k in 0..layout.n_free {
                let hstep = 1e-6 * raw[k].abs().max(1e-2);
                let mut up = raw.clone();
                up[k] += hstep;
                let mut down = raw.clone();
                down[k] -= hstep;
                let num = (objective(&layout, &y, &up, None) - objective(&layout, &y, &down, None))
                    / (2.0 * hstep);
                // d(sum r^2)/d theta = 2 J'r.
                let ana = 2.0 * lin.jtr[k];
                assert!(
                    (num - ana).abs() <= 1e-4 * (1.0 + num.abs().max(ana.abs())),
                    "{spec} parameter {k}: numeric {num}, analytic {ana}"
                );
            }
        }
    }
}
