//! Sales forecasting: the ETS family with automatic selection, MSTL for several seasons,
//! intermittent-demand methods, accuracy measures and rolling-origin cross-validation,
//! and batch forecasting of many series on all cores.
//!
//! Every model is fitted by one type and predicts through another: `AutoEts::fit(&y)`
//! returns a [`FittedEts`](ets::FittedEts) whose `predict(h, levels)` returns a
//! [`Forecast`]. Levels are percentages (`80.0`, `95.0`).

pub mod batch;
pub mod cv;
pub mod ets;
pub mod intermittent;
pub mod metrics;
pub mod mstl;

pub use batch::{
    ManyForecast, ManyOptions, SeriesFailure, SeriesForecast, forecast_many, forecast_series,
};
pub use cv::{CvOptions, CvResult, CvWindow, cross_validate};
pub use ets::{
    AutoEts, Criterion, ErrorType, Ets, EtsParams, EtsSpec, FittedEts, SeasonType, TrendType,
};
pub use intermittent::{
    Croston, DemandClass, DemandProfile, FittedIntermittent, IntermittentMethod, Sba, Tsb, classify,
};
pub use metrics::Accuracy;
pub use mstl::{
    MstlDecomposition, MstlOptions, StlDecomposition, StlOptions, mstl, mstl_forecast, stl,
};

use crate::analytics::kpi::Period;
use crate::{Error, Result};

/// A point forecast with its prediction intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The point forecast for steps 1..=h.
    pub mean: Vec<f64>,
    /// One interval per requested level, in the order the levels were given.
    pub intervals: Vec<Interval>,
}

/// A prediction interval at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// The coverage in percent (`95.0`).
    pub level: f64,
    /// The lower bound for steps 1..=h.
    pub lower: Vec<f64>,
    /// The upper bound for steps 1..=h.
    pub upper: Vec<f64>,
}

impl Forecast {
    /// The interval at `level`, if it was requested.
    pub fn interval(&self, level: f64) -> Option<&Interval> {
        self.intervals
            .iter()
            .find(|i| (i.level - level).abs() < 1e-9)
    }

    /// The number of steps forecast.
    pub fn horizon(&self) -> usize {
        self.mean.len()
    }

    /// The forecast as a table, one row per step: `mean`, then `lo-{level}` and
    /// `hi-{level}` per level in the order of the levels (statsforecast's names).
    pub fn to_frame(&self) -> Result<polars::prelude::DataFrame> {
        use polars::prelude::Column;
        let levels: Vec<f64> = self.intervals.iter().map(|i| i.level).collect();
        check_levels(&levels)?;
        let mut columns = vec![Column::new("mean".into(), self.mean.clone())];
        for iv in &self.intervals {
            let name = level_name(iv.level);
            columns.push(Column::new(format!("lo-{name}").into(), iv.lower.clone()));
            columns.push(Column::new(format!("hi-{name}").into(), iv.upper.clone()));
        }
        polars::prelude::DataFrame::new(self.mean.len(), columns)
            .map_err(|e| Error::invalid_data("", None, e.to_string()))
    }

    /// Raises negative means and bounds to zero (for quantities that cannot be negative).
    pub fn clip_at_zero(&mut self) {
        let clip = |v: &mut Vec<f64>| v.iter_mut().for_each(|x| *x = x.max(0.0));
        clip(&mut self.mean);
        for iv in self.intervals.iter_mut() {
            clip(&mut iv.lower);
            clip(&mut iv.upper);
        }
    }
}

/// The demand forecast of one product: Croston, SBA or TSB when the series is intermittent
/// (chosen by the Syntetos-Boylan classification, see
/// [`choose_method`](intermittent::choose_method)), a non-seasonal AutoETS otherwise. Returns
/// the method's name with the forecast; demand forecasts and bounds are clipped at zero.
pub fn demand_forecast(y: &[f64], h: usize, levels: &[f64]) -> Result<(String, Forecast)> {
    let profile = intermittent::classify(y)?;
    let (name, mut forecast) = match intermittent::choose_method(y, &profile) {
        Some(method) => (
            method.as_str().to_string(),
            method.fit(y)?.predict(h, levels)?,
        ),
        None => {
            let fit = AutoEts::new().fit(y)?;
            (fit.model(), fit.predict(h, levels)?)
        }
    };
    forecast.clip_at_zero();
    Ok((name, forecast))
}

/// Forecasts a sales series sampled every `period`: AutoETS with the period's season
/// (12 for months, 4 for quarters, 7 for days) when it is at most 24 long, and MSTL with a
/// non-seasonal AutoETS on the seasonally adjusted series for longer seasons (52 weeks; 7 and
/// 365 days once two years of days exist). `season_length` overrides the period's season.
/// Returns the model's name (`"ETS(M,A,M)"`, `"MSTL(7,365)+ETS(A,N,N)"`) with the forecast.
pub fn forecast_period_series(
    y: &[f64],
    period: Period,
    season_length: Option<usize>,
    h: usize,
    levels: &[f64],
) -> Result<(String, Forecast)> {
    check_series("y", y)?;
    let m = season_length.unwrap_or_else(|| season_length_for(period));
    let mut periods: Vec<usize> = Vec::new();
    if m > ets::MAX_SEASON && y.len() > 2 * m {
        periods.push(m);
    }
    if period == Period::Day && season_length.is_none() && y.len() > 2 * 365 {
        periods = vec![7, 365];
    }
    if periods.is_empty() {
        let fit = AutoEts::new()
            .season_length(if m > ets::MAX_SEASON { 1 } else { m })
            .fit(y)?;
        return Ok((fit.model(), fit.predict(h, levels)?));
    }
    let mut trend_name = String::new();
    let opts = MstlOptions::new(periods.clone());
    let forecast = mstl_forecast(y, &opts, h, levels, |adjusted, h, levels| {
        let fit = AutoEts::new().fit(adjusted)?;
        trend_name = fit.model();
        fit.predict(h, levels)
    })?;
    let names: Vec<String> = periods.iter().map(|p| p.to_string()).collect();
    Ok((format!("MSTL({})+{trend_name}", names.join(",")), forecast))
}

/// A level as a column-name suffix: `80` for 80.0, `97.5` for 97.5.
pub fn level_name(level: f64) -> String {
    if level.fract() == 0.0 && level.abs() < 1e15 {
        format!("{}", level as i64)
    } else {
        format!("{level}")
    }
}

/// The usual seasonal period of a series sampled every `period`: 7 for daily, 52 for
/// weekly, 12 for monthly, 4 for quarterly, 1 (no season) for yearly.
pub fn season_length_for(period: Period) -> usize {
    match period {
        Period::Day => 7,
        Period::Week => 52,
        Period::Month => 12,
        Period::Quarter => 4,
        Period::Year => 1,
    }
}

/// Checks that every level is a percentage strictly between 0 and 100, given once.
pub(crate) fn check_levels(levels: &[f64]) -> Result<()> {
    for (i, &l) in levels.iter().enumerate() {
        if levels[..i].contains(&l) {
            return Err(Error::InvalidArgument {
                name: "level",
                message: format!("{l} is given twice"),
            });
        }
        if !(l > 0.0 && l < 100.0) {
            return Err(Error::InvalidArgument {
                name: "level",
                message: format!(
                    "{l}: a prediction-interval level is a percentage between 0 and 100"
                ),
            });
        }
    }
    Ok(())
}

/// Checks that a series is not empty and holds only finite values; names the first bad one.
pub(crate) fn check_series(column: &str, y: &[f64]) -> Result<()> {
    if y.is_empty() {
        return Err(Error::invalid_data(column, None, "the series is empty"));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid_data(
            column,
            Some(i),
            format!("{} is not a finite number", y[i]),
        ));
    }
    Ok(())
}

/// The standard normal quantile, by Acklam's rational approximation (relative error
/// below 1.2e-9).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// The standard normal distribution function.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, by the Chebyshev fit in Numerical Recipes
/// (fractional error below 1.2e-7).
pub(crate) fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-6);
        assert!((normal_quantile(0.9) - 1.281_551_565_544_6).abs() < 1e-6);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_8).abs() < 1e-6);
    }

    #[test]
    fn forecasts_become_tables_with_statsforecast_names() {
        let iv = |level: f64| Interval {
            level,
            lower: vec![1.0, 2.0],
            upper: vec![5.0, 6.0],
        };
        let f = Forecast {
            mean: vec![3.0, 4.0],
            intervals: vec![iv(80.0), iv(97.5)],
        };
        let frame = f.to_frame().unwrap();
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, ["mean", "lo-80", "hi-80", "lo-97.5", "hi-97.5"]);
        assert_eq!(frame.height(), 2);
        let twice = Forecast {
            mean: vec![3.0, 4.0],
            intervals: vec![iv(80.0), iv(80.0)],
        };
        assert!(
            twice
                .to_frame()
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
    }

    #[test]
    fn bad_levels_and_series_are_named() {
        assert!(check_levels(&[80.0, 95.0]).is_ok());
        assert!(check_levels(&[100.0]).is_err());
        assert!(check_levels(&[80.0, 80.0]).is_err());
        let err = check_series("y", &[1.0, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
    }
}
