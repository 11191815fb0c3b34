//! Rolling-origin cross-validation: refit a forecaster on growing prefixes of a series
//! and score each forecast against the values that followed.
//!
//! The last window ends at the end of the series; each earlier window starts `step`
//! periods before the next one. Windows are independent and run in parallel.
//!
//! ```
//! use nexus_core::analytics::forecast::cv::{cross_validate, CvOptions};
//!
//! let y: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
//! let naive = |train: &[f64], h: usize| Ok(vec![train[train.len() - 1]; h]);
//! let opts = CvOptions { h: 3, windows: 2, ..CvOptions::default() };
//! let result = cross_validate(&y, &opts, naive).unwrap();
//! assert_eq!(result.windows[0].cutoff, 24);
//! assert_eq!(result.windows[1].cutoff, 27);
//! assert!((result.accuracy.mae - 2.0).abs() < 1e-12);
//! ```

use rayon::prelude::*;

use super::check_series;
use super::metrics::Accuracy;
use crate::{Error, Result};

/// The settings of [`cross_validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CvOptions {
    /// The forecast horizon of every window (default 12).
    pub h: usize,
    /// The number of windows (default 3).
    pub windows: usize,
    /// The distance between the cutoffs of consecutive windows; `None` (the default)
    /// means `h`, so that the test periods do not overlap.
    pub step: Option<usize>,
    /// The season length MASE is scaled with (default 1, the naive forecast).
    pub season_length: usize,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            h: 12,
            windows: 3,
            step: None,
            season_length: 1,
        }
    }
}

/// One window of a cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvWindow {
    /// The length of the training prefix: the forecaster saw `y[..cutoff]` and forecast
    /// `y[cutoff..cutoff + h]`.
    pub cutoff: usize,
    /// The actual values `y[cutoff..cutoff + h]`.
    pub actual: Vec<f64>,
    /// The forecast of those values.
    pub forecast: Vec<f64>,
    /// The accuracy of this window's forecast (MASE scaled by the training prefix).
    pub accuracy: Accuracy,
}

/// The result of [`cross_validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// The windows, earliest cutoff first.
    pub windows: Vec<CvWindow>,
    /// The mean accuracy over the windows (see [`Accuracy::mean`] for MAPE and MASE).
    pub accuracy: Accuracy,
}

/// Cross-validates `forecaster` on `y` by rolling origin.
///
/// `forecaster(train, h)` must return `h` finite forecasts of the values that follow
/// `train`. Window `i` of `windows` (0-based) trains on the prefix of length
/// `y.len() - h - (windows - 1 - i) * step`, so the last window ends at the end of the
/// series. Every training prefix must hold at least 2 values.
///
/// The windows run in parallel (rayon); an error of the forecaster is returned with the
/// window's cutoff added to its message (the error of the earliest failing window when
/// several fail).
pub fn cross_validate<F>(y: &[f64], opts: &CvOptions, forecaster: F) -> Result<CvResult>
where
    F: Fn(&[f64], usize) -> Result<Vec<f64>> + Sync,
{
    let cutoffs = cutoffs(y, opts)?;
    let h = opts.h;
    let results: Vec<Result<CvWindow>> = cutoffs
        .par_iter()
        .map(|&cutoff| {
            let train = &y[..cutoff];
            let actual = &y[cutoff..cutoff + h];
            let forecast = forecaster(train, h).map_err(|e| in_window(e, cutoff))?;
            if forecast.len() != h {
                return Err(Error::InvalidArgument {
                    name: "forecaster",
                    message: format!(
                        "returned {} values for a horizon of {h} in the window with cutoff {cutoff}",
                        forecast.len()
                    ),
                });
            }
            if let Some(i) = forecast.iter().position(|v| !v.is_finite()) {
                return Err(Error::InvalidArgument {
                    name: "forecaster",
                    message: format!(
                        "returned {} at step {} in the window with cutoff {cutoff}",
                        forecast[i],
                        i + 1
                    ),
                });
            }
            let accuracy = Accuracy::compute(actual, &forecast, train, opts.season_length)?;
            Ok(CvWindow {
                cutoff,
                actual: actual.to_vec(),
                forecast,
                accuracy,
            })
        })
        .collect();
    let windows = results.into_iter().collect::<Result<Vec<_>>>()?;
    let accuracy = Accuracy::mean(&windows.iter().map(|w| w.accuracy).collect::<Vec<_>>())
        .ok_or_else(|| Error::InvalidArgument {
            name: "windows",
            message: "must be at least 1".into(),
        })?;
    Ok(CvResult { windows, accuracy })
}

/// Validates the options and returns the cutoffs, earliest first.
fn cutoffs(y: &[f64], opts: &CvOptions) -> Result<Vec<usize>> {
    if opts.h == 0 {
        return Err(Error::InvalidArgument {
            name: "h",
            message: "the horizon must be at least 1".into(),
        });
    }
    if opts.windows == 0 {
        return Err(Error::InvalidArgument {
            name: "windows",
            message: "must be at least 1".into(),
        });
    }
    let step = opts.step.unwrap_or(opts.h);
    if step == 0 {
        return Err(Error::InvalidArgument {
            name: "step",
            message: "must be at least 1".into(),
        });
    }
    if opts.season_length == 0 {
        return Err(Error::InvalidArgument {
            name: "season_length",
            message: "must be at least 1 (1 scales MASE by the naive forecast)".into(),
        });
    }
    check_series("y", y)?;
    // The earliest cutoff is n - h - (windows - 1) * step and must be at least 2.
    let needed = (opts.windows - 1)
        .checked_mul(step)
        .and_then(|v| v.checked_add(opts.h))
        .and_then(|v| v.checked_add(2));
    match needed {
        Some(needed) if y.len() >= needed => {}
        _ => {
            return Err(Error::invalid_data(
                "y",
                None,
                format!(
                    "has {} values: {} windows of horizon {} every {step} periods need at least {} \
                     (2 to train on before the first window)",
                    y.len(),
                    opts.windows,
                    opts.h,
                    needed.map_or_else(|| "more".to_string(), |n| n.to_string())
                ),
            ));
        }
    }
    let last = y.len() - opts.h;
    Ok((0..opts.windows)
        .map(|i| last - (opts.windows - 1 - i) * step)
        .collect())
}

/// Adds the window's cutoff to a forecaster's error, keeping its kind.
fn in_window(err: Error, cutoff: usize) -> Error {
    let prefix = |m: String| format!("in the cross-validation window with cutoff {cutoff}: {m}");
    match err {
        Error::InvalidData {
            column,
            row,
            message,
        } => Error::InvalidData {
            column,
            row,
            message: prefix(message),
        },
        Error::InvalidArgument { name, message } => Error::InvalidArgument {
            name,
            message: prefix(message),
        },
        Error::Fit { model, message } => Error::Fit {
            model,
            message: prefix(message),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(train: &[f64], h: usize) -> Result<Vec<f64>> {
        Ok(vec![train[train.len() - 1]; h])
    }

    #[test]
    fn windows_end_at_the_series_end_and_step_back() {
        let y: Vec<f64> = (0..20).map(f64::from).collect();
        let opts = CvOptions {
            h: 4,
            windows: 3,
            step: None,
            season_length: 1,
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        let cutoffs: Vec<usize> = r.windows.iter().map(|w| w.cutoff).collect();
        // last cutoff 20 - 4 = 16, then 12, 8
        assert_eq!(cutoffs, vec![8, 12, 16]);
        assert_eq!(r.windows[2].actual, vec![16.0, 17.0, 18.0, 19.0]);
        assert_eq!(r.windows[2].forecast, vec![15.0; 4]);

        let opts = CvOptions {
            step: Some(1),
            ..opts
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        let cutoffs: Vec<usize> = r.windows.iter().map(|w| w.cutoff).collect();
        assert_eq!(cutoffs, vec![14, 15, 16]);
    }

    #[test]
    fn accuracy_by_hand_for_the_naive_forecast_of_a_line() {
        // y = t: the naive forecast at cutoff c is c - 1; errors are 1, 2, 3, 4 at
        // steps 1..4, so MAE = 2.5 and RMSE = sqrt(30 / 4) in every window. The naive
        // in-sample scale of a line of slope 1 is 1, so MASE = 2.5.
        let y: Vec<f64> = (0..20).map(f64::from).collect();
        let opts = CvOptions {
            h: 4,
            windows: 3,
            step: None,
            season_length: 1,
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        for w in &r.windows {
            assert!((w.accuracy.mae - 2.5).abs() < 1e-12);
        }
        assert!((r.accuracy.mae - 2.5).abs() < 1e-12);
        assert!((r.accuracy.rmse - 7.5f64.sqrt()).abs() < 1e-12);
        assert!((r.accuracy.mase.unwrap() - 2.5).abs() < 1e-12);
        // MAPE of the window with cutoff 16: 100 * (1/16 + 2/17 + 3/18 + 4/19) / 4
        let w = &r.windows[2];
        let expected = 100.0 * (1.0 / 16.0 + 2.0 / 17.0 + 3.0 / 18.0 + 4.0 / 19.0) / 4.0;
        assert!((w.accuracy.mape.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn too_short_series_and_bad_options_are_refused() {
        let y: Vec<f64> = (0..10).map(f64::from).collect();
        // 3 windows of 3 need 3 + 2*3 + 2 = 11 values.
        let opts = CvOptions {
            h: 3,
            windows: 3,
            step: None,
            season_length: 1,
        };
        let e = cross_validate(&y, &opts, naive).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
        assert!(e.to_string().contains("at least 11"), "{e}");
        // 10 values are enough for 2 windows of 4: cutoffs 2 and 6.
        let opts = CvOptions {
            h: 4,
            windows: 2,
            ..opts
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        assert_eq!(r.windows[0].cutoff, 2);

        for bad in [
            CvOptions { h: 0, ..opts },
            CvOptions { windows: 0, ..opts },
            CvOptions {
                step: Some(0),
                ..opts
            },
            CvOptions {
                season_length: 0,
                ..opts
            },
        ] {
            let e = cross_validate(&y, &bad, naive).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        }
        let huge = CvOptions {
            windows: usize::MAX,
            ..opts
        };
        assert!(cross_validate(&y, &huge, naive).is_err());
        assert!(
            cross_validate(
                &[1.0, f64::NAN, 3.0, 4.0],
                &CvOptions {
                    h: 1,
                    windows: 1,
                    ..opts
                },
                naive
            )
            .is_err()
        );
    }

    #[test]
    fn forecaster_errors_name_the_window() {
        let y: Vec<f64> = (0..20).map(f64::from).collect();
        let opts = CvOptions {
            h: 4,
            windows: 3,
            step: None,
            season_length: 1,
        };
        let failing = |train: &[f64], h: usize| {
            if train.len() >= 12 {
                Err(Error::Fit {
                    model: "ETS(A,N,N)".into(),
                    message: "did not converge".into(),
                })
            } else {
                naive(train, h)
            }
        };
        let e = cross_validate(&y, &opts, failing).unwrap_err();
        match &e {
            Error::Fit { model, message } => {
                assert_eq!(model, "ETS(A,N,N)");
                // the earliest failing window is reported
                assert!(message.contains("cutoff 12"), "{message}");
                assert!(message.contains("did not converge"), "{message}");
            }
            other => panic!("unexpected error {other}"),
        }

        let short = |_: &[f64], _: usize| Ok(vec![1.0]);
        let e = cross_validate(&y, &opts, short).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "forecaster",
                    ..
                }
            ),
            "{e}"
        );
        let nan = |_: &[f64], h: usize| Ok(vec![f64::NAN; h]);
        assert!(cross_validate(&y, &opts, nan).is_err());
    }

    #[test]
    fn seasonal_mase_uses_each_training_prefix() {
        // A period-2 pattern with a level shift: 0, 2, 0, 2, ... MASE with m = 2 would
        // have a zero scale (None), with m = 1 the scale is 2.
        let y: Vec<f64> = (0..12)
            .map(|t| if t % 2 == 0 { 0.0 } else { 2.0 })
            .collect();
        let opts = CvOptions {
            h: 2,
            windows: 2,
            step: None,
            season_length: 2,
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        assert_eq!(r.accuracy.mase, None);
        let opts = CvOptions {
            season_length: 1,
            ..opts
        };
        let r = cross_validate(&y, &opts, naive).unwrap();
        // naive from a prefix ending in 2 forecasts 2, 2 for actuals 0, 2: MAE 1.
        assert!((r.accuracy.mase.unwrap() - 0.5).abs() < 1e-12);
    }
}
