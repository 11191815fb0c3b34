//! Forecast accuracy measures: MAE, RMSE, MAPE, sMAPE and MASE.
//!
//! Every measure compares `actual` with `forecast` point by point and refuses series of
//! different lengths, empty series and values that are not finite, naming the argument
//! at fault. Percentages are returned as percentages (`12.5` for 12.5 %).
//!
//! ```
//! use nexus_core::analytics::forecast::metrics::{mae, smape};
//!
//! let actual = [10.0, 20.0, 30.0];
//! let forecast = [12.0, 18.0, 33.0];
//! assert!((mae(&actual, &forecast).unwrap() - 7.0 / 3.0).abs() < 1e-12);
//! assert!(smape(&actual, &forecast).unwrap() > 0.0);
//! ```

use super::check_series;
use crate::{Error, Result};

/// Checks that `actual` and `forecast` are non-empty, finite and of the same length.
fn check_pair(actual: &[f64], forecast: &[f64]) -> Result<()> {
    check_series("actual", actual)?;
    if forecast.len() != actual.len() {
        return Err(Error::InvalidArgument {
            name: "forecast",
            message: format!(
                "has {} values but `actual` has {}: they must be of the same length",
                forecast.len(),
                actual.len()
            ),
        });
    }
    check_series("forecast", forecast)
}

/// The mean absolute error, `mean(|a - f|)`.
pub fn mae(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    Ok(mean_abs_error(actual, forecast))
}

fn mean_abs_error(actual: &[f64], forecast: &[f64]) -> f64 {
    let sum: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum();
    sum / actual.len() as f64
}

/// The root mean squared error, `sqrt(mean((a - f)²))`.
pub fn rmse(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    let sum: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f) * (a - f))
        .sum();
    Ok((sum / actual.len() as f64).sqrt())
}

/// The mean absolute percentage error in percent, `100 · mean(|a - f| / |a|)`.
///
/// Periods whose actual value is 0 have no percentage error and are skipped; when every
/// actual value is 0 the measure is undefined and the call fails with
/// [`Error::InvalidData`].
pub fn mape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    mape_unchecked(actual, forecast).ok_or_else(|| {
        Error::invalid_data(
            "actual",
            None,
            "every actual value is 0, so the percentage error is undefined",
        )
    })
}

fn mape_unchecked(actual: &[f64], forecast: &[f64]) -> Option<f64> {
    let (sum, count) = actual
        .iter()
        .zip(forecast)
        .filter(|(a, _)| **a != 0.0)
        .fold((0.0, 0usize), |(s, c), (a, f)| {
            (s + ((a - f) / a).abs(), c + 1)
        });
    (count > 0).then(|| 100.0 * sum / count as f64)
}

/// The symmetric mean absolute percentage error in percent,
/// `mean(200 · |a - f| / (|a| + |f|))`, between 0 and 200.
///
/// A period where both the actual and the forecast are 0 is a perfect forecast and
/// counts 0 (the definition of statsforecast / utilsforecast `smape`, times 100).
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    let sum: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| {
            let denom = a.abs() + f.abs();
            if denom == 0.0 {
                0.0
            } else {
                200.0 * (a - f).abs() / denom
            }
        })
        .sum();
    Ok(sum / actual.len() as f64)
}

/// The mean absolute scaled error (Hyndman & Koehler 2006): the MAE of the forecast
/// divided by the in-sample MAE of the seasonal naive forecast on `train`,
/// `mean_{t >= m} |train[t] - train[t - m]|` with `m = season_length` (`1` scales by the
/// naive forecast).
///
/// Fails with [`Error::InvalidData`] when `train` has `season_length` values or fewer, or
/// when the scale is 0 (a training series that repeats itself exactly), and with
/// [`Error::InvalidArgument`] when `season_length` is 0.
pub fn mase(actual: &[f64], forecast: &[f64], train: &[f64], season_length: usize) -> Result<f64> {
    check_pair(actual, forecast)?;
    match mase_scale(train, season_length)? {
        Ok(scale) => Ok(mean_abs_error(actual, forecast) / scale),
        Err(why) => Err(Error::invalid_data("train", None, why)),
    }
}

/// The MASE denominator: an error for bad input, `Ok(Err(why))` when the scale is
/// undefined for this (valid) training series.
fn mase_scale(train: &[f64], season_length: usize) -> Result<std::result::Result<f64, String>> {
    if season_length == 0 {
        return Err(Error::InvalidArgument {
            name: "season_length",
            message: "must be at least 1 (1 scales by the naive forecast)".into(),
        });
    }
    if let Some(i) = train.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid_data(
            "train",
            Some(i),
            format!("{} is not a finite number", train[i]),
        ));
    }
    let m = season_length;
    if train.len() <= m {
        return Ok(Err(format!(
            "has {} values: the MASE scale with season length {m} needs at least {}",
            train.len(),
            m + 1
        )));
    }
    let sum: f64 = train[m..]
        .iter()
        .zip(train)
        .map(|(now, before)| (now - before).abs())
        .sum();
    let scale = sum / (train.len() - m) as f64;
    if scale == 0.0 {
        return Ok(Err(format!(
            "every value equals the one {m} period(s) before, so the MASE scale is 0"
        )));
    }
    Ok(Ok(scale))
}

/// The accuracy of one forecast by every measure of this module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// The mean absolute error.
    pub mae: f64,
    /// The root mean squared error.
    pub rmse: f64,
    /// The mean absolute percentage error in percent; `None` when every actual value is 0.
    pub mape: Option<f64>,
    /// The symmetric mean absolute percentage error in percent (0 to 200).
    pub smape: f64,
    /// The mean absolute scaled error; `None` when the training series is too short for
    /// the season length or its scale is 0.
    pub mase: Option<f64>,
}

impl Accuracy {
    /// Computes every measure of `forecast` against `actual`, scaling MASE by `train`
    /// (the series the forecast was made from) at `season_length`.
    ///
    /// Unlike [`mape`] and [`mase`], a measure that is undefined for this data is `None`
    /// rather than an error; bad input (lengths, empty or non-finite values, a season
    /// length of 0) is still an error.
    pub fn compute(
        actual: &[f64],
        forecast: &[f64],
        train: &[f64],
        season_length: usize,
    ) -> Result<Accuracy> {
        check_pair(actual, forecast)?;
        let mase = mase_scale(train, season_length)?
            .ok()
            .map(|scale| mean_abs_error(actual, forecast) / scale);
        Ok(Accuracy {
            mae: mean_abs_error(actual, forecast),
            rmse: rmse(actual, forecast)?,
            mape: mape_unchecked(actual, forecast),
            smape: smape(actual, forecast)?,
            mase,
        })
    }

    /// The mean of several accuracies (for example over cross-validation windows);
    /// `None` when `items` is empty.
    ///
    /// `mape` and `mase` are averaged over the items where they are defined, and are
    /// `None` only when no item defines them.
    pub fn mean(items: &[Accuracy]) -> Option<Accuracy> {
        if items.is_empty() {
            return None;
        }
        let n = items.len() as f64;
        let mean_of = |f: fn(&Accuracy) -> f64| items.iter().map(f).sum::<f64>() / n;
        let mean_some = |f: fn(&Accuracy) -> Option<f64>| {
            let (sum, count) = items
                .iter()
                .filter_map(f)
                .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            (count > 0).then(|| sum / count as f64)
        };
        Some(Accuracy {
            mae: mean_of(|a| a.mae),
            rmse: mean_of(|a| a.rmse),
            mape: mean_some(|a| a.mape),
            smape: mean_of(|a| a.smape),
            mase: mean_some(|a| a.mase),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    // actual 10, 20, 30, 40; forecast 12, 18, 33, 40.
    // errors a - f: -2, 2, -3, 0.
    const A: [f64; 4] = [10.0, 20.0, 30.0, 40.0];
    const F: [f64; 4] = [12.0, 18.0, 33.0, 40.0];

    #[test]
    fn mae_and_rmse_by_hand() {
        // MAE = (2 + 2 + 3 + 0) / 4 = 1.75
        close(mae(&A, &F).unwrap(), 1.75);
        // RMSE = sqrt((4 + 4 + 9 + 0) / 4) = sqrt(4.25)
        close(rmse(&A, &F).unwrap(), 4.25f64.sqrt());
    }

    #[test]
    fn mape_by_hand_and_skips_zero_actuals() {
        // 100 * (2/10 + 2/20 + 3/30 + 0/40) / 4 = 100 * 0.4 / 4 = 10
        close(mape(&A, &F).unwrap(), 10.0);
        // The zero actual is skipped: 100 * (2/10 + 3/30) / 2 = 15
        close(mape(&[10.0, 0.0, 30.0], &[12.0, 5.0, 33.0]).unwrap(), 15.0);
        let err = mape(&[0.0, 0.0], &[1.0, 2.0]).unwrap_err();
        assert!(matches!(err, Error::InvalidData { .. }), "{err}");
        assert!(err.to_string().contains("actual"), "{err}");
    }

    #[test]
    fn smape_by_hand_and_zero_over_zero_counts_zero() {
        // 200*2/22 + 200*2/38 + 200*3/63 + 0, averaged over 4
        let expected = (400.0 / 22.0 + 400.0 / 38.0 + 600.0 / 63.0) / 4.0;
        close(smape(&A, &F).unwrap(), expected);
        // utilsforecast: a = f = 0 is 0; a = 0, f = 5 is 200.
        close(smape(&[0.0, 0.0], &[0.0, 5.0]).unwrap(), 100.0);
        // The extreme values: 0 for a perfect forecast, 200 for opposite signs.
        close(smape(&[3.0], &[3.0]).unwrap(), 0.0);
        close(smape(&[3.0], &[-3.0]).unwrap(), 200.0);
    }

    #[test]
    fn mase_by_hand() {
        // train 1, 3, 2, 5: naive errors |3-1| + |2-3| + |5-2| = 6 over 3 -> scale 2.
        let train = [1.0, 3.0, 2.0, 5.0];
        close(mase(&A, &F, &train, 1).unwrap(), 1.75 / 2.0);
        // seasonal m = 2: |2-1| + |5-3| = 3 over 2 -> scale 1.5.
        close(mase(&A, &F, &train, 2).unwrap(), 1.75 / 1.5);
    }

    #[test]
    fn mase_refuses_short_or_constant_training_series() {
        let e = mase(&A, &F, &[1.0, 2.0], 2).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
        assert!(e.to_string().contains("train"), "{e}");
        let e = mase(&A, &F, &[4.0, 4.0, 4.0], 1).unwrap_err();
        assert!(e.to_string().contains("scale is 0"), "{e}");
        let e = mase(&A, &F, &[1.0, 2.0], 0).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                name: "season_length",
                ..
            }
        ));
    }

    #[test]
    fn bad_input_names_the_argument() {
        let e = mae(&[1.0, 2.0], &[1.0]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "forecast",
                    ..
                }
            ),
            "{e}"
        );
        let e = rmse(&[], &[]).unwrap_err();
        assert!(e.to_string().contains("`actual`"), "{e}");
        let e = smape(&[1.0, 2.0], &[1.0, f64::NAN]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`forecast`") && text.contains("row 1"),
            "{text}"
        );
        let e = mase(&[1.0], &[1.0], &[1.0, f64::INFINITY], 1).unwrap_err();
        assert!(e.to_string().contains("`train`"), "{e}");
    }

    #[test]
    fn accuracy_computes_all_and_marks_undefined_measures() {
        let acc = Accuracy::compute(&A, &F, &[1.0, 3.0, 2.0, 5.0], 1).unwrap();
        close(acc.mae, 1.75);
        close(acc.rmse, 4.25f64.sqrt());
        close(acc.mape.unwrap(), 10.0);
        close(acc.smape, smape(&A, &F).unwrap());
        close(acc.mase.unwrap(), 0.875);

        let acc = Accuracy::compute(&[0.0, 0.0], &[1.0, 0.0], &[2.0, 2.0], 1).unwrap();
        assert_eq!(acc.mape, None);
        assert_eq!(acc.mase, None);
        close(acc.mae, 0.5);
        close(acc.smape, 100.0);
        // Bad input stays an error.
        assert!(Accuracy::compute(&A, &F, &[1.0, f64::NAN], 1).is_err());
        assert!(Accuracy::compute(&A, &F, &[1.0, 2.0], 0).is_err());
    }

    #[test]
    fn accuracy_mean_averages_defined_values() {
        let a = Accuracy {
            mae: 1.0,
            rmse: 2.0,
            mape: Some(10.0),
            smape: 5.0,
            mase: None,
        };
        let b = Accuracy {
            mae: 3.0,
            rmse: 4.0,
            mape: None,
            smape: 7.0,
            mase: None,
        };
        let m = Accuracy::mean(&[a, b]).unwrap();
        close(m.mae, 2.0);
        close(m.rmse, 3.0);
        assert_eq!(m.mape, Some(10.0));
        close(m.smape, 6.0);
        assert_eq!(m.mase, None);
        assert_eq!(Accuracy::mean(&[]), None);
    }
}
