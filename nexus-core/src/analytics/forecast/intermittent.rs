//! Intermittent demand: products that sell in few periods, in varying quantities.
//!
//! [`classify`] places a series in the Syntetos-Boylan-Croston (2005) quadrants
//! (smooth, erratic, intermittent, lumpy), [`choose_method`] picks a method for it, and
//! [`Croston`], [`Sba`] and [`Tsb`] fit the three classic methods, with the semantics of
//! statsforecast's `CrostonClassic`, `CrostonSBA` and `TSB`:
//!
//! - Croston (1972): simple exponential smoothing (SES) of the non-zero demand sizes
//!   divided by SES of the intervals between demands (the first interval counts the
//!   periods up to and including the first demand); each SES starts at its first value;
//! - SBA (Syntetos & Boylan 2005): Croston times `1 - alpha / 2`, which removes
//!   Croston's positive bias;
//! - TSB (Teunter, Syntetos & Babai 2011): SES of the demand probability, updated every
//!   period (starting at the first period's 0/1 indicator), times SES of the demand
//!   sizes, updated only when there is demand; the forecast decays while no demand
//!   comes, which suits products that may be dying.
//!
//! Each method forecasts a flat demand rate per period. A series without any demand
//! forecasts 0.
//!
//! ```
//! use nexus_core::analytics::forecast::intermittent::{choose_method, classify, IntermittentMethod};
//!
//! let y = [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 5.0, 0.0, 2.0];
//! let profile = classify(&y).unwrap();
//! assert_eq!(profile.class.as_str(), "intermittent");
//! let method = choose_method(&y, &profile).unwrap();
//! assert_eq!(method, IntermittentMethod::Croston);
//! let fit = method.fit(&y).unwrap();
//! assert!((fit.forecast_value() - 3.08 / 2.99).abs() < 1e-12);
//! let forecast = fit.predict(3, &[80.0]).unwrap();
//! assert_eq!(forecast.mean.len(), 3);
//! ```

use super::{Forecast, Interval, check_levels, check_series};
use crate::{Error, Result};

/// The Syntetos-Boylan-Croston cut-off of the average demand interval.
pub const ADI_CUTOFF: f64 = 1.32;
/// The Syntetos-Boylan-Croston cut-off of the squared coefficient of variation of the
/// demand sizes.
pub const CV2_CUTOFF: f64 = 0.49;

/// The demand pattern of a series (Syntetos, Boylan & Croston 2005).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemandClass {
    /// Regular demand (ADI ≤ 1.32) of stable size (CV² ≤ 0.49).
    Smooth,
    /// Regular demand (ADI ≤ 1.32) of varying size (CV² > 0.49).
    Erratic,
    /// Infrequent demand (ADI > 1.32) of stable size (CV² ≤ 0.49).
    Intermittent,
    /// Infrequent demand (ADI > 1.32) of varying size (CV² > 0.49).
    Lumpy,
}

impl DemandClass {
    /// The lower-case name: `"smooth"`, `"erratic"`, `"intermittent"` or `"lumpy"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
        }
    }
}

/// The demand statistics of a series, from [`classify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandProfile {
    /// The average demand interval: the number of periods divided by the number of
    /// periods with demand (`INFINITY` when there is none).
    pub adi: f64,
    /// The squared coefficient of variation of the non-zero demand sizes,
    /// `(std / mean)²` with the population standard deviation (0 when there are fewer
    /// than 2 demands).
    pub cv2: f64,
    /// The number of periods with demand.
    pub nonzero: usize,
    /// The quadrant of the ADI / CV² plane.
    pub class: DemandClass,
}

/// Classifies the demand pattern of `y` (one non-negative quantity per period) by the
/// Syntetos-Boylan-Croston cut-offs ADI 1.32 and CV² 0.49; a value above a cut-off is
/// "infrequent" or "varying".
///
/// ADI is `y.len() / nonzero`, the mean interval between demands when the periods after
/// the last demand are counted as a last, open interval. A series without demand (a
/// product that did not sell in the window) is not an error: its profile has
/// `adi = INFINITY`, `cv2 = 0`, `nonzero = 0` and class
/// [`Intermittent`](DemandClass::Intermittent).
///
/// Fails with [`Error::InvalidData`] naming the row for a negative or non-finite value,
/// and for an empty series.
pub fn classify(y: &[f64]) -> Result<DemandProfile> {
    check_demand(y)?;
    let sizes: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
    let nonzero = sizes.len();
    if nonzero == 0 {
        return Ok(DemandProfile {
            adi: f64::INFINITY,
            cv2: 0.0,
            nonzero: 0,
            class: DemandClass::Intermittent,
        });
    }
    let adi = y.len() as f64 / nonzero as f64;
    let mean = sizes.iter().sum::<f64>() / nonzero as f64;
    let var = sizes.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / nonzero as f64;
    let cv2 = var / (mean * mean);
    let class = match (adi > ADI_CUTOFF, cv2 > CV2_CUTOFF) {
        (false, false) => DemandClass::Smooth,
        (false, true) => DemandClass::Erratic,
        (true, false) => DemandClass::Intermittent,
        (true, true) => DemandClass::Lumpy,
    };
    Ok(DemandProfile {
        adi,
        cv2,
        nonzero,
        class,
    })
}

/// Checks that a demand series is non-empty, finite and non-negative.
fn check_demand(y: &[f64]) -> Result<()> {
    check_series("y", y)?;
    if let Some(i) = y.iter().position(|v| *v < 0.0) {
        return Err(Error::invalid_data(
            "y",
            Some(i),
            format!("{} is negative: demand is a quantity of 0 or more", y[i]),
        ));
    }
    Ok(())
}

/// Checks a smoothing parameter.
fn check_alpha(name: &'static str, alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha <= 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name,
            message: format!("{alpha}: a smoothing parameter is in (0, 1]"),
        })
    }
}

/// The three intermittent-demand methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntermittentMethod {
    /// Croston's method, [`Croston`].
    Croston,
    /// The Syntetos-Boylan approximation, [`Sba`].
    Sba,
    /// Teunter-Syntetos-Babai, [`Tsb`].
    Tsb,
}

impl IntermittentMethod {
    /// The lower-case name: `"croston"`, `"sba"` or `"tsb"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            IntermittentMethod::Croston => "croston",
            IntermittentMethod::Sba => "sba",
            IntermittentMethod::Tsb => "tsb",
        }
    }

    /// Fits this method with its default smoothing parameters (0.1).
    pub fn fit(&self, y: &[f64]) -> Result<FittedIntermittent> {
        match self {
            IntermittentMethod::Croston => Croston::default().fit(y),
            IntermittentMethod::Sba => Sba::default().fit(y),
            IntermittentMethod::Tsb => Tsb::default().fit(y),
        }
    }
}

/// Picks an intermittent-demand method for `y` from its `profile` (see [`classify`]):
///
/// - `None` when ADI ≤ 1.32: the product sells regularly and a method for regular
///   series (ETS) fits better;
/// - [`Tsb`](IntermittentMethod::Tsb) when the run of zeros at the end of the series is
///   longer than 2 × ADI: demand may be dying, and TSB lets the forecast decay;
/// - [`Sba`](IntermittentMethod::Sba) for lumpy demand;
/// - [`Croston`](IntermittentMethod::Croston) otherwise (intermittent demand, and a
///   series without demand, whose forecast is 0 whatever the method).
pub fn choose_method(y: &[f64], profile: &DemandProfile) -> Option<IntermittentMethod> {
    if profile.adi <= ADI_CUTOFF {
        return None;
    }
    let trailing_zeros = y.iter().rev().take_while(|v| **v == 0.0).count();
    if (trailing_zeros as f64) > 2.0 * profile.adi {
        Some(IntermittentMethod::Tsb)
    } else if profile.class == DemandClass::Lumpy {
        Some(IntermittentMethod::Sba)
    } else {
        Some(IntermittentMethod::Croston)
    }
}

/// Croston's method with smoothing parameter `alpha` for both the sizes and the
/// intervals (statsforecast's `CrostonClassic` uses 0.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Croston {
    /// The smoothing parameter, in (0, 1] (default 0.1).
    pub alpha: f64,
}

impl Default for Croston {
    fn default() -> Self {
        Croston { alpha: 0.1 }
    }
}

impl Croston {
    /// Fits the method to `y`, one non-negative quantity per period.
    pub fn fit(&self, y: &[f64]) -> Result<FittedIntermittent> {
        check_alpha("alpha", self.alpha)?;
        check_demand(y)?;
        Ok(croston(y, self.alpha, 1.0, IntermittentMethod::Croston))
    }
}

/// The Syntetos-Boylan approximation: Croston's forecast times `1 - alpha / 2`
/// (statsforecast's `CrostonSBA` uses alpha 0.1, a factor 0.95).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sba {
    /// The smoothing parameter, in (0, 1] (default 0.1).
    pub alpha: f64,
}

impl Default for Sba {
    fn default() -> Self {
        Sba { alpha: 0.1 }
    }
}

impl Sba {
    /// Fits the method to `y`, one non-negative quantity per period.
    pub fn fit(&self, y: &[f64]) -> Result<FittedIntermittent> {
        check_alpha("alpha", self.alpha)?;
        check_demand(y)?;
        Ok(croston(
            y,
            self.alpha,
            1.0 - self.alpha / 2.0,
            IntermittentMethod::Sba,
        ))
    }
}

/// The Teunter-Syntetos-Babai method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tsb {
    /// The smoothing parameter of the demand sizes, in (0, 1] (default 0.1).
    pub alpha_demand: f64,
    /// The smoothing parameter of the demand probability, in (0, 1] (default 0.1).
    pub alpha_probability: f64,
}

impl Default for Tsb {
    fn default() -> Self {
        Tsb {
            alpha_demand: 0.1,
            alpha_probability: 0.1,
        }
    }
}

impl Tsb {
    /// Fits the method to `y`, one non-negative quantity per period.
    pub fn fit(&self, y: &[f64]) -> Result<FittedIntermittent> {
        check_alpha("alpha_demand", self.alpha_demand)?;
        check_alpha("alpha_probability", self.alpha_probability)?;
        check_demand(y)?;
        Ok(tsb(y, self.alpha_demand, self.alpha_probability))
    }
}

/// Croston's recursion, times `factor` (1 for Croston, `1 - alpha/2` for SBA).
fn croston(y: &[f64], alpha: f64, factor: f64, method: IntermittentMethod) -> FittedIntermittent {
    // size and interval: the SES levels after the demands seen so far.
    let mut state: Option<(f64, f64)> = None;
    let mut since_last = 0.0;
    let mut fitted = Vec::with_capacity(y.len());
    for &v in y {
        // The one-step forecast of this period, from the periods before it.
        fitted.push(match state {
            Some((size, interval)) => factor * size / interval,
            None => 0.0,
        });
        since_last += 1.0;
        if v > 0.0 {
            state = Some(match state {
                None => (v, since_last),
                Some((size, interval)) => (
                    size + alpha * (v - size),
                    interval + alpha * (since_last - interval),
                ),
            });
            since_last = 0.0;
        }
    }
    let level = state.map_or(0.0, |(size, interval)| factor * size / interval);
    FittedIntermittent::new(method, level, y, fitted)
}

/// The TSB recursion.
fn tsb(y: &[f64], alpha_demand: f64, alpha_probability: f64) -> FittedIntermittent {
    let indicator = |v: f64| if v > 0.0 { 1.0 } else { 0.0 };
    let mut probability = indicator(y[0]);
    let mut size: Option<f64> = None;
    let mut fitted = Vec::with_capacity(y.len());
    for (t, &v) in y.iter().enumerate() {
        fitted.push(if t == 0 {
            0.0
        } else {
            probability * size.unwrap_or(0.0)
        });
        probability += alpha_probability * (indicator(v) - probability);
        if v > 0.0 {
            size = Some(size.map_or(v, |z| z + alpha_demand * (v - z)));
        }
    }
    let level = probability * size.unwrap_or(0.0);
    FittedIntermittent::new(IntermittentMethod::Tsb, level, y, fitted)
}

/// A fitted intermittent-demand model: a flat demand rate per period, and the one-step
/// fitted values and residuals that its prediction intervals are estimated from.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedIntermittent {
    method: IntermittentMethod,
    level: f64,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
    /// The residuals the intervals are drawn from, sorted.
    interval_residuals: Vec<f64>,
}

impl FittedIntermittent {
    fn new(method: IntermittentMethod, level: f64, y: &[f64], mut fitted: Vec<f64>) -> Self {
        // Period 0 has no history: its fitted value is NaN (as in statsforecast).
        fitted[0] = f64::NAN;
        let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(a, f)| a - f).collect();
        // Residuals after the first demand, once the model has been initialised; every
        // residual from period 1 on when there is no demand or no period after it.
        let start = match y.iter().position(|v| *v > 0.0) {
            Some(first) if first + 1 < y.len() => first + 1,
            _ => 1,
        };
        let mut interval_residuals: Vec<f64> = residuals[start.min(y.len())..].to_vec();
        interval_residuals.sort_by(f64::total_cmp);
        FittedIntermittent {
            method,
            level,
            fitted,
            residuals,
            interval_residuals,
        }
    }

    /// The method that was fitted.
    pub fn method(&self) -> IntermittentMethod {
        self.method
    }

    /// The forecast demand per period (the same for every future period).
    pub fn forecast_value(&self) -> f64 {
        self.level
    }

    /// The one-step fitted values: `fitted()[t]` is the forecast of period `t` from the
    /// periods before it (0 before the first demand); `fitted()[0]` is NaN, as period 0
    /// has no history.
    pub fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// The in-sample one-step residuals, `y[t] - fitted()[t]` (NaN at period 0).
    pub fn residuals(&self) -> &[f64] {
        &self.residuals
    }

    /// Forecasts `h` periods with prediction intervals at `levels` (percentages).
    ///
    /// The mean is flat at [`forecast_value`](Self::forecast_value). The intervals are
    /// empirical, not from a probability model: at step `k` the bounds are the mean
    /// plus the `(1 - level/100) / 2` and `(1 + level/100) / 2` quantiles (linear
    /// interpolation) of the in-sample one-step residuals after the first demand
    /// (of every residual from period 1 on when the first demand is in the last period
    /// or there is no demand), scaled by `sqrt(k)`, and clipped at 0 (demand is never
    /// negative).
    ///
    /// Fails with [`Error::InvalidArgument`] for a level outside (0, 100) and with
    /// [`Error::InvalidData`] when intervals are asked for from a series of one period
    /// (there is no residual to estimate them from).
    pub fn predict(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_levels(levels)?;
        if !levels.is_empty() && self.interval_residuals.is_empty() {
            return Err(Error::invalid_data(
                "y",
                None,
                "a series of one period has no one-step residual to estimate prediction \
                 intervals from",
            ));
        }
        let mean = vec![self.level; h];
        let intervals = levels
            .iter()
            .map(|&level| {
                let tail = (1.0 - level / 100.0) / 2.0;
                let lo = quantile(&self.interval_residuals, tail);
                let hi = quantile(&self.interval_residuals, 1.0 - tail);
                let scale = |k: usize| (k as f64).sqrt();
                Interval {
                    level,
                    lower: (1..=h)
                        .map(|k| (self.level + lo * scale(k)).max(0.0))
                        .collect(),
                    upper: (1..=h)
                        .map(|k| (self.level + hi * scale(k)).max(0.0))
                        .collect(),
                }
            })
            .collect();
        Ok(Forecast { mean, intervals })
    }
}

/// The `p` quantile of sorted, non-empty `values` by linear interpolation between order
/// statistics (numpy's default, Hyndman-Fan type 7).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let below = pos.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let frac = pos - below as f64;
    sorted[below] + frac * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y: [f64; 9] = [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 5.0, 0.0, 2.0];

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} != {b}");
    }

    #[test]
    fn classify_by_hand() {
        // 9 periods, 3 demands: ADI = 3. Sizes 3, 5, 2: mean 10/3, population
        // variance ((1/3)² + (5/3)² + (4/3)²) / 3 = 14/9, CV² = (14/9) / (100/9) = 0.14.
        let p = classify(&Y).unwrap();
        close(p.adi, 3.0, 1e-12);
        close(p.cv2, 0.14, 1e-12);
        assert_eq!(p.nonzero, 3);
        assert_eq!(p.class, DemandClass::Intermittent);

        // Sizes 1, 9 every other period: ADI 2, mean 5, variance 16, CV² 0.64 -> lumpy.
        let p = classify(&[1.0, 0.0, 9.0, 0.0]).unwrap();
        close(p.cv2, 0.64, 1e-12);
        assert_eq!(p.class, DemandClass::Lumpy);
        // Every period sells: ADI 1. Sizes 10, 11, 9, 10: CV² tiny -> smooth.
        assert_eq!(
            classify(&[10.0, 11.0, 9.0, 10.0]).unwrap().class,
            DemandClass::Smooth
        );
        // Sizes 1, 9, 1, 9: CV² 0.64 -> erratic.
        let p = classify(&[1.0, 9.0, 1.0, 9.0]).unwrap();
        assert_eq!(p.class, DemandClass::Erratic);
        assert_eq!(p.class.as_str(), "erratic");
    }

    #[test]
    fn classify_a_product_that_never_sold() {
        let p = classify(&[0.0; 5]).unwrap();
        assert!(p.adi.is_infinite());
        assert_eq!(p.cv2, 0.0);
        assert_eq!(p.nonzero, 0);
        assert_eq!(p.class, DemandClass::Intermittent);
        assert_eq!(
            choose_method(&[0.0; 5], &p),
            Some(IntermittentMethod::Croston)
        );
        let fit = IntermittentMethod::Croston.fit(&[0.0; 5]).unwrap();
        assert_eq!(fit.forecast_value(), 0.0);
        let f = fit.predict(2, &[95.0]).unwrap();
        assert_eq!(f.mean, vec![0.0, 0.0]);
        assert_eq!(f.intervals[0].upper, vec![0.0, 0.0]);
        assert_eq!(Tsb::default().fit(&[0.0; 5]).unwrap().forecast_value(), 0.0);
    }

    #[test]
    fn bad_demand_is_refused_with_its_row() {
        let e = classify(&[1.0, -2.0]).unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = Croston::default().fit(&[1.0, 0.0, f64::NAN]).unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
        assert!(Sba::default().fit(&[]).is_err());
        for alpha in [0.0, -0.1, 1.5, f64::NAN] {
            let e = Croston { alpha }.fit(&Y).unwrap_err();
            assert!(
                matches!(e, Error::InvalidArgument { name: "alpha", .. }),
                "{e}"
            );
        }
        let e = Tsb {
            alpha_demand: 0.1,
            alpha_probability: 2.0,
        }
        .fit(&Y)
        .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                name: "alpha_probability",
                ..
            }
        ));
    }

    #[test]
    fn croston_by_hand() {
        // Demands 3, 5, 2 at periods 2, 6, 8; intervals 3 (periods 0..=2), 4, 2.
        // Sizes SES(0.1) from 3: 3 -> 3 + 0.1 (5 - 3) = 3.2 -> 3.2 + 0.1 (2 - 3.2) = 3.08.
        // Intervals SES(0.1) from 3: 3 -> 3 + 0.1 (4 - 3) = 3.1 -> 3.1 + 0.1 (2 - 3.1) = 2.99.
        // Forecast 3.08 / 2.99 = 1.0301003...
        let fit = Croston::default().fit(&Y).unwrap();
        assert_eq!(fit.method(), IntermittentMethod::Croston);
        close(fit.forecast_value(), 3.08 / 2.99, 1e-12);
        close(fit.forecast_value(), 1.030_100_334_448_160_5, 1e-12);
        // Fitted: 0 before the first demand is seen, 3/3 = 1 after it, 3.2/3.1 after
        // the second (statsforecast's CrostonClassic fitted values).
        let f = fit.fitted();
        assert!(f[0].is_nan());
        let expected = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 3.2 / 3.1, 3.2 / 3.1];
        for (t, e) in expected.iter().enumerate() {
            close(f[t + 1], *e, 1e-12);
        }
        let r = fit.residuals();
        assert!(r[0].is_nan());
        close(r[6], 5.0 - 1.0, 1e-12);
        close(r[8], 2.0 - 3.2 / 3.1, 1e-12);
    }

    #[test]
    fn sba_is_croston_deflated() {
        // 3.08 / 2.99 * (1 - 0.1 / 2) = 0.9785953...
        let fit = Sba::default().fit(&Y).unwrap();
        close(fit.forecast_value(), 3.08 / 2.99 * 0.95, 1e-12);
        close(fit.fitted()[7], 0.95 * 3.2 / 3.1, 1e-12);
        // alpha 0.5: sizes 3 -> 4 -> 3, intervals 3 -> 3.5 -> 2.75; 3/2.75 * 0.75.
        let fit = Sba { alpha: 0.5 }.fit(&Y).unwrap();
        close(fit.forecast_value(), 3.0 / 2.75 * 0.75, 1e-12);
        assert_eq!(fit.method().as_str(), "sba");
    }

    #[test]
    fn tsb_by_hand() {
        // Indicators 0 0 1 0 0 0 1 0 1; p starts at the first one (0) and
        // p += 0.1 (d - p) every period:
        // 0, 0, 0.1, 0.09, 0.081, 0.0729, 0.16561, 0.149049, 0.2341441.
        // Sizes as for Croston: 3.08. Forecast 0.2341441 * 3.08 = 0.72116383 (rounded).
        let fit = Tsb::default().fit(&Y).unwrap();
        close(fit.forecast_value(), 0.234_144_1 * 3.08, 1e-12);
        close(fit.forecast_value(), 0.721_163_828, 1e-9);
        // Fitted = p before the period × sizes before the period:
        // period 3: 0.1 * 3 = 0.3; period 7: 0.16561 * 3.2 = 0.529952.
        let f = fit.fitted();
        assert!(f[0].is_nan());
        close(f[1], 0.0, 1e-12);
        close(f[3], 0.3, 1e-12);
        close(f[7], 0.529_952, 1e-12);
        // A series starting with demand starts p at 1: [4, 0]: p 1 -> 0.9, z 4.
        let fit = Tsb::default().fit(&[4.0, 0.0]).unwrap();
        close(fit.forecast_value(), 3.6, 1e-12);
    }

    #[test]
    fn tsb_decays_while_croston_stays() {
        let mut y = Y.to_vec();
        y.extend([0.0; 10]);
        let croston = Croston::default().fit(&y).unwrap().forecast_value();
        let tsb = Tsb::default().fit(&y).unwrap().forecast_value();
        close(croston, 3.08 / 2.99, 1e-12);
        // 10 more zeros multiply p by 0.9^10.
        close(tsb, 0.234_144_1 * 0.9f64.powi(10) * 3.08, 1e-12);
    }

    #[test]
    fn choose_method_rules() {
        let p = classify(&Y).unwrap();
        assert_eq!(choose_method(&Y, &p), Some(IntermittentMethod::Croston));
        // Regular sellers go to ETS.
        let regular = [3.0, 4.0, 0.0, 5.0, 4.0, 3.0];
        let p = classify(&regular).unwrap();
        close(p.adi, 1.2, 1e-12);
        assert_eq!(choose_method(&regular, &p), None);
        // Lumpy: sizes 1, 9, ADI 2.
        let lumpy = [1.0, 0.0, 9.0, 0.0];
        let p = classify(&lumpy).unwrap();
        assert_eq!(choose_method(&lumpy, &p), Some(IntermittentMethod::Sba));
        // Demand stopped: 3 demands in 16 periods (ADI 16/3 = 5.33), then 11 zeros
        // (more than 2 × 5.33 = 10.67).
        let mut dying = vec![2.0, 0.0, 3.0, 0.0, 2.0];
        dying.extend([0.0; 11]);
        let p = classify(&dying).unwrap();
        assert_eq!(choose_method(&dying, &p), Some(IntermittentMethod::Tsb));
        // 10 trailing zeros (ADI 15/3 = 5, 10 is not longer than 10): still Croston.
        dying.pop();
        let p = classify(&dying).unwrap();
        assert_eq!(choose_method(&dying, &p), Some(IntermittentMethod::Croston));
        assert_eq!(IntermittentMethod::Tsb.as_str(), "tsb");
    }

    #[test]
    fn empirical_intervals_by_hand() {
        // Croston on Y: residuals after the first demand (periods 3..=8) are
        // -1, -1, -1, 4, -3.2/3.1, 2 - 3.2/3.1 = 0.9677...; sorted
        // [-1.0322, -1, -1, -1, 0.9677, 4].
        let fit = Croston::default().fit(&Y).unwrap();
        let f = fit.predict(4, &[80.0, 50.0]).unwrap();
        let level = 3.08 / 2.99;
        assert_eq!(f.mean, vec![level; 4]);
        assert_eq!(f.intervals[0].level, 80.0);
        assert_eq!(f.intervals[1].level, 50.0);
        // 80 %: the 0.1 quantile is at position 0.5: (-1.0322 + -1) / 2; the 0.9
        // quantile at position 4.5: (0.9677 + 4) / 2.
        let a = 3.2 / 3.1;
        let lo = (-a - 1.0) / 2.0;
        let hi = (2.0 - a + 4.0) / 2.0;
        let i80 = &f.intervals[0];
        close(i80.lower[0], (level + lo).max(0.0), 1e-12);
        close(i80.upper[0], level + hi, 1e-12);
        // At step 4 the quantiles are doubled (sqrt(4)): the lower bound
        // 1.0301 - 2 * 1.0161 is negative and clipped at 0.
        assert_eq!(i80.lower[3], 0.0);
        close(i80.upper[3], level + hi * 2.0, 1e-12);
        // 50 %: quantiles 0.25 (position 1.25: -1) and 0.75 (position 3.75:
        // -1 + 0.75 * 1.9677...).
        let i50 = &f.intervals[1];
        close(i50.upper[0], level - 1.0 + 0.75 * (2.0 - a + 1.0), 1e-12);
        close(i50.lower[0], (level - 1.0).max(0.0), 1e-12);
        assert!(i50.upper[0] < i80.upper[0]);
        assert!(fit.predict(3, &[100.0]).is_err());
        assert!(fit.predict(3, &[]).unwrap().intervals.is_empty());
    }

    #[test]
    fn intervals_when_the_first_demand_is_the_last_period() {
        // [0, 0, 4]: no period follows the first demand, so the residuals of periods
        // 1 and 2 are used: 0 - 0 = 0 and 4 - 0 = 4. Forecast 4 / 3.
        let fit = Croston::default().fit(&[0.0, 0.0, 4.0]).unwrap();
        close(fit.forecast_value(), 4.0 / 3.0, 1e-12);
        let f = fit.predict(1, &[50.0]).unwrap();
        // quantiles 0.25 and 0.75 of [0, 4]: 1 and 3.
        close(f.intervals[0].lower[0], 4.0 / 3.0 + 1.0, 1e-12);
        close(f.intervals[0].upper[0], 4.0 / 3.0 + 3.0, 1e-12);
        // One period: the forecast is the value itself (size y0 over interval 1), and
        // there is no residual for intervals.
        let fit = Croston::default().fit(&[7.0]).unwrap();
        assert_eq!(fit.forecast_value(), 7.0);
        assert!(fit.predict(2, &[]).is_ok());
        let e = fit.predict(2, &[90.0]).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4], [0, 0.1, 0.5, 1]) = [1, 1.3, 2.5, 4]
        let v = [1.0, 2.0, 3.0, 4.0];
        close(quantile(&v, 0.0), 1.0, 1e-12);
        close(quantile(&v, 0.1), 1.3, 1e-12);
        close(quantile(&v, 0.5), 2.5, 1e-12);
        close(quantile(&v, 1.0), 4.0, 1e-12);
        close(quantile(&[5.0], 0.9), 5.0, 1e-12);
    }
}
