//! Many series at once: one AutoETS per series, fitted in parallel on all cores, from and
//! to the long table statsforecast uses (`unique_id`, `ds`, `y`).

use polars::prelude::*;
use rayon::prelude::*;

use super::ets::AutoEts;
use super::{Forecast, level_name};
use crate::analytics::transactions::{
    civil_from_days, column, customer_codes, days_from_civil, read_amounts, read_days,
};
use crate::{Error, Result};

/// The forecast of one series of a batch.
#[derive(Debug, Clone)]
pub struct SeriesForecast {
    /// The series' id.
    pub id: String,
    /// The selected model (`"ETS(M,A,M)"`).
    pub model: String,
    /// The forecast.
    pub forecast: Forecast,
}

/// A series that could not be forecast, and why. The others are unaffected.
#[derive(Debug)]
pub struct SeriesFailure {
    /// The series' id.
    pub id: String,
    /// The error.
    pub error: Error,
}

/// Fits `model` to every series in parallel and forecasts `h` steps at `levels`. A series
/// that fails (too short, not finite) is reported in the second list; the others go on.
pub fn forecast_series(
    series: &[(String, Vec<f64>)],
    model: &AutoEts,
    h: usize,
    levels: &[f64],
) -> Result<(Vec<SeriesForecast>, Vec<SeriesFailure>)> {
    super::check_levels(levels)?;
    #[allow(clippy::result_large_err)]
    let results: Vec<std::result::Result<SeriesForecast, SeriesFailure>> = series
        .par_iter()
        .map(|(id, y)| {
            let fit = model
                .fit(y)
                .and_then(|f| Ok((f.model(), f.predict(h, levels)?)));
            match fit {
                Ok((model, forecast)) => Ok(SeriesForecast {
                    id: id.clone(),
                    model,
                    forecast,
                }),
                Err(error) => Err(SeriesFailure {
                    id: id.clone(),
                    error,
                }),
            }
        })
        .collect();
    let mut ok = Vec::with_capacity(results.len());
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(f) => ok.push(f),
            Err(f) => failed.push(f),
        }
    }
    Ok((ok, failed))
}

/// Options of [`forecast_many`].
#[derive(Debug, Clone)]
pub struct ManyOptions {
    /// The series id column (`"unique_id"`).
    pub id: String,
    /// The time column (`"ds"`): dates, datetimes, date text or integers.
    pub ds: String,
    /// The value column (`"y"`).
    pub y: String,
    /// Steps to forecast.
    pub h: usize,
    /// The seasonal period; `None` infers it from the spacing of `ds` (12 for monthly
    /// dates, 4 quarterly, 7 daily, 52 weekly, none for integers).
    pub season_length: Option<usize>,
    /// Prediction-interval levels in percent.
    pub levels: Vec<f64>,
}

impl Default for ManyOptions {
    fn default() -> Self {
        ManyOptions {
            id: "unique_id".into(),
            ds: "ds".into(),
            y: "y".into(),
            h: 12,
            season_length: None,
            levels: Vec::new(),
        }
    }
}

/// A series ready to fit: values, time step and last time.
type Prepared = std::result::Result<(Vec<f64>, Option<Step>, i64), Error>;
/// A fitted series: model name, forecast, time step and last time.
type Fitted = std::result::Result<(String, Forecast, Option<Step>, i64), Error>;

/// The result of [`forecast_many`]: the forecasts in statsforecast's long format, and the
/// series that failed.
#[derive(Debug)]
pub struct ManyForecast {
    /// Columns: the id column, the time column (the future times, in the input's type),
    /// `model` (the selected ETS model), `AutoETS` (the mean), and `AutoETS-lo-{level}` /
    /// `AutoETS-hi-{level}` for each level, as statsforecast names them.
    pub frame: DataFrame,
    /// The series that could not be forecast.
    pub failed: Vec<SeriesFailure>,
}

/// How the time column advances.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Calendar months (`3` for quarters, `12` for years), keeping the day of the month.
    Months(i64),
    /// Calendar months, each time the last day of its month.
    MonthEnds(i64),
    /// A fixed number of days.
    Days(i64),
    /// Integer time stamps.
    Int(i64),
}

impl Step {
    fn season(self) -> usize {
        match self {
            Step::Months(1) | Step::MonthEnds(1) => 12,
            Step::Months(3) | Step::MonthEnds(3) => 4,
            Step::Days(1) => 7,
            Step::Days(7) => 52,
            _ => 1,
        }
    }

    fn advance(self, t: i64, k: i64) -> i64 {
        match self {
            Step::Months(n) => {
                let (y, m, d) = civil_from_days(t);
                let months = y * 12 + (m as i64 - 1) + n * k;
                days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, d)
            }
            Step::MonthEnds(n) => {
                let (y, m, _) = civil_from_days(t);
                // The first day of the month after the target month, minus one.
                let months = y * 12 + (m as i64 - 1) + n * k + 1;
                days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1) - 1
            }
            Step::Days(n) | Step::Int(n) => t + n * k,
        }
    }
}

fn month_index(day: i64) -> (i64, u32) {
    let (y, m, d) = civil_from_days(day);
    (y * 12 + m as i64 - 1, d)
}

/// The step between consecutive times of one series, checking that it is regular.
fn infer_step(
    id: &str,
    ds_name: &str,
    times: &[(i64, usize)],
    dates: bool,
) -> Result<Option<Step>> {
    if times.len() < 2 {
        return Ok(None);
    }
    let irregular = |row: usize, what: String| {
        Error::invalid_data(
            ds_name,
            Some(row),
            format!(
                "series {id:?}: irregular timestamps ({what}); fill the gaps or aggregate first"
            ),
        )
    };
    for w in times.windows(2) {
        if w[1].0 == w[0].0 {
            return Err(irregular(w[1].1, "a time appears twice".into()));
        }
    }
    if !dates {
        let step = times[1].0 - times[0].0;
        for w in times.windows(2) {
            if w[1].0 - w[0].0 != step {
                return Err(irregular(
                    w[1].1,
                    format!("step {} after {step}", w[1].0 - w[0].0),
                ));
            }
        }
        return Ok(Some(Step::Int(step)));
    }
    let (m0, d0) = month_index(times[0].0);
    let (m1, d1) = month_index(times[1].0);
    let same_day = d0 == d1 && m1 > m0;
    if same_day {
        let step = m1 - m0;
        for w in times.windows(2) {
            let (a, da) = month_index(w[0].0);
            let (b, db) = month_index(w[1].0);
            if da != db || b - a != step {
                return Err(irregular(
                    w[1].1,
                    format!("expected a step of {step} month(s)"),
                ));
            }
        }
        return Ok(Some(Step::Months(step)));
    }
    let month_end = |t: i64| month_index(t + 1).1 == 1;
    if times.iter().all(|&(t, _)| month_end(t)) {
        let step = month_index(times[1].0).0 - month_index(times[0].0).0;
        for w in times.windows(2) {
            if month_index(w[1].0).0 - month_index(w[0].0).0 != step {
                return Err(irregular(
                    w[1].1,
                    format!("expected a step of {step} month(s)"),
                ));
            }
        }
        return Ok(Some(Step::MonthEnds(step)));
    }
    let step = times[1].0 - times[0].0;
    for w in times.windows(2) {
        if w[1].0 - w[0].0 != step {
            return Err(irregular(
                w[1].1,
                format!("step of {} days after {step}", w[1].0 - w[0].0),
            ));
        }
    }
    Ok(Some(Step::Days(step)))
}

/// Forecasts every series of a long table with AutoETS, in parallel: the statsforecast
/// workflow (`StatsForecast(models=[AutoETS(season_length=12)]).forecast(df=df, h=12)`)
/// in one call.
///
/// Rows may come in any order; each series is sorted by time and must be regular (a fixed
/// number of days, or whole months keeping the day of the month). A series that fails goes
/// to [`ManyForecast::failed`] and the rest are forecast.
pub fn forecast_many(frame: &DataFrame, opts: &ManyOptions) -> Result<ManyForecast> {
    super::check_levels(&opts.levels)?;
    let ids = column(frame, &opts.id)?;
    let ds = column(frame, &opts.ds)?;
    let ys = column(frame, &opts.y)?;
    let (keys, codes) = customer_codes(&opts.id, ids)?;
    let values = read_amounts(&opts.y, ys, true)?;
    let dates = !ds.dtype().is_integer();
    let times: Vec<i64> = if dates {
        read_days(&opts.ds, ds)?
            .into_iter()
            .map(i64::from)
            .collect()
    } else {
        if ds.null_count() > 0 {
            return Err(Error::invalid_data(&opts.ds, None, "null times"));
        }
        let cast = ds
            .cast(&DataType::Int64)
            .map_err(|e| Error::invalid_data(&opts.ds, None, e.to_string()))?;
        cast.i64()
            .map_err(|e| Error::invalid_data(&opts.ds, None, e.to_string()))?
            .iter()
            .map(Option::unwrap_or_default)
            .collect()
    };
    // Rows of each series, sorted by time.
    let mut rows: Vec<Vec<(i64, usize)>> = vec![Vec::new(); keys.len()];
    for (row, &c) in codes.iter().enumerate() {
        rows[c as usize].push((times[row], row));
    }
    let prepared: Vec<(String, Prepared)> = rows
        .into_par_iter()
        .enumerate()
        .map(|(c, mut r)| {
            let id = keys.label(c);
            r.sort_unstable();
            let step = infer_step(&id, &opts.ds, &r, dates);
            let y: Vec<f64> = r.iter().map(|&(_, row)| values[row]).collect();
            let last = r.last().map(|t| t.0).unwrap_or(0);
            (id, step.map(|s| (y, s, last)))
        })
        .collect();
    let levels = &opts.levels;
    let results: Vec<(usize, Fitted)> = prepared
        .into_par_iter()
        .enumerate()
        .map(|(c, (id, prep))| {
            let out = prep.and_then(|(y, step, last)| {
                let season = opts
                    .season_length
                    .unwrap_or_else(|| step.map(Step::season).unwrap_or(1));
                let fit = AutoEts::new()
                    .season_length(season.max(1))
                    .fit(&y)
                    .map_err(|e| with_series(&id, e))?;
                let f = fit.predict(opts.h, levels)?;
                Ok((fit.model(), f, step, last))
            });
            (c, out)
        })
        .collect();
    let mut failed = Vec::new();
    let mut out_codes: Vec<u32> = Vec::new();
    let mut out_times: Vec<i64> = Vec::new();
    let mut out_model: Vec<String> = Vec::new();
    let mut out_mean: Vec<f64> = Vec::new();
    let mut out_bounds: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); levels.len()];
    for (c, r) in results {
        match r {
            Ok((model, f, step, last)) => {
                for k in 0..f.mean.len() {
                    out_codes.push(c as u32);
                    out_times.push(match step {
                        Some(s) => s.advance(last, k as i64 + 1),
                        None => last + k as i64 + 1,
                    });
                    out_model.push(model.clone());
                    out_mean.push(f.mean[k]);
                    for (i, iv) in f.intervals.iter().enumerate() {
                        out_bounds[i].0.push(iv.lower[k]);
                        out_bounds[i].1.push(iv.upper[k]);
                    }
                }
            }
            Err(error) => failed.push(SeriesFailure {
                id: keys.label(c),
                error,
            }),
        }
    }
    let id_col = match &keys {
        crate::analytics::CustomerKey::Int(v) => Column::new(
            opts.id.as_str().into(),
            out_codes
                .iter()
                .map(|&c| v[c as usize])
                .collect::<Vec<i64>>(),
        ),
        crate::analytics::CustomerKey::Text(v) => Column::new(
            opts.id.as_str().into(),
            out_codes
                .iter()
                .map(|&c| v[c as usize].as_str())
                .collect::<Vec<&str>>(),
        ),
    };
    let time_col = if dates {
        let days: Vec<i32> = out_times.iter().map(|&d| d as i32).collect();
        Column::new(opts.ds.as_str().into(), days)
            .cast(&DataType::Date)
            .map_err(|e| Error::invalid_data(&opts.ds, None, e.to_string()))?
    } else {
        Column::new(opts.ds.as_str().into(), out_times)
    };
    let mut columns = vec![
        id_col,
        time_col,
        Column::new("model".into(), out_model),
        Column::new("AutoETS".into(), out_mean),
    ];
    for (level, (lo, hi)) in levels.iter().zip(out_bounds) {
        columns.push(Column::new(
            format!("AutoETS-lo-{}", level_name(*level)).into(),
            lo,
        ));
        columns.push(Column::new(
            format!("AutoETS-hi-{}", level_name(*level)).into(),
            hi,
        ));
    }
    let frame = crate::analytics::rfm::frame(columns)?;
    Ok(ManyForecast { frame, failed })
}

fn with_series(id: &str, e: Error) -> Error {
    match e {
        Error::InvalidData {
            column,
            row,
            message,
        } => Error::InvalidData {
            column,
            row,
            message: format!("series {id:?}: {message}"),
        },
        Error::Fit { model, message } => Error::Fit {
            model,
            message: format!("series {id:?}: {message}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly(start_year: i32, n: usize) -> Vec<i32> {
        (0..n)
            .map(|i| {
                let months = start_year as i64 * 12 + i as i64;
                days_from_civil(months / 12, (months % 12 + 1) as u32, 1) as i32
            })
            .collect()
    }

    #[test]
    fn many_series_in_long_format() {
        let n = 48;
        let mut ids = Vec::new();
        let mut ds = Vec::new();
        let mut y = Vec::new();
        for (k, id) in ["b", "a"].iter().enumerate() {
            for (i, d) in monthly(2020, n).into_iter().enumerate() {
                ids.push(*id);
                ds.push(d);
                let season = [1.0, 0.9, 1.1, 1.2, 1.0, 0.8, 0.9, 1.0, 1.1, 1.3, 1.2, 0.5][i % 12];
                y.push((100.0 + 5.0 * k as f64 + i as f64) * season);
            }
        }
        // A series too short to fit: reported, not fatal.
        ids.push("c");
        ds.push(monthly(2020, 1)[0]);
        y.push(1.0);
        let frame = DataFrame::new_infer_height(vec![
            Column::new("unique_id".into(), ids),
            Column::new("ds".into(), ds).cast(&DataType::Date).unwrap(),
            Column::new("y".into(), y),
        ])
        .unwrap();
        let opts = ManyOptions {
            h: 6,
            levels: vec![80.0, 95.0],
            ..ManyOptions::default()
        };
        let out = forecast_many(&frame, &opts).unwrap();
        assert_eq!(out.frame.height(), 12);
        assert_eq!(out.failed.len(), 1);
        assert_eq!(out.failed[0].id, "c");
        let names: Vec<String> = out
            .frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "unique_id",
                "ds",
                "model",
                "AutoETS",
                "AutoETS-lo-80",
                "AutoETS-hi-80",
                "AutoETS-lo-95",
                "AutoETS-hi-95"
            ]
        );
        // Sorted by id; the first future month follows the last one (2023-12 -> 2024-01).
        let first = out.frame.column("ds").unwrap().get(0).unwrap().to_string();
        assert_eq!(first, "2024-01-01");
        let ids: Vec<String> = out
            .frame
            .column("unique_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap().to_string())
            .collect();
        assert_eq!(&ids[..6], &["a"; 6]);
        // The season is found: December's dip repeats.
        let mean = out.frame.column("AutoETS").unwrap().f64().unwrap();
        let jan = mean.get(0).unwrap();
        assert!(jan > 140.0 && jan < 160.0, "{jan}");
    }

    #[test]
    fn month_end_dates_are_monthly() {
        // statsforecast's AirPassengers frame stamps each month by its last day.
        let ends: Vec<i32> = monthly(1949, 37).windows(2).map(|w| w[1] - 1).collect();
        let y: Vec<f64> = (0..36)
            .map(|i| 100.0 + i as f64 + [0.0, 5.0, -5.0][i % 3])
            .collect();
        let frame = DataFrame::new_infer_height(vec![
            Column::new("unique_id".into(), vec!["air"; 36]),
            Column::new("ds".into(), ends)
                .cast(&DataType::Date)
                .unwrap(),
            Column::new("y".into(), y),
        ])
        .unwrap();
        let out = forecast_many(
            &frame,
            &ManyOptions {
                h: 2,
                ..ManyOptions::default()
            },
        )
        .unwrap();
        assert!(out.failed.is_empty(), "{:?}", out.failed);
        let ds = out.frame.column("ds").unwrap();
        assert_eq!(ds.get(0).unwrap().to_string(), "1952-01-31");
        assert_eq!(ds.get(1).unwrap().to_string(), "1952-02-29");
    }

    #[test]
    fn irregular_times_are_named() {
        let frame = DataFrame::new_infer_height(vec![
            Column::new("unique_id".into(), vec![1i64; 5]),
            Column::new("ds".into(), vec![1i64, 2, 3, 5, 6]),
            Column::new("y".into(), vec![1.0, 2.0, 3.0, 4.0, 5.0]),
        ])
        .unwrap();
        let out = forecast_many(&frame, &ManyOptions::default()).unwrap();
        assert_eq!(out.failed.len(), 1);
        let msg = out.failed[0].error.to_string();
        assert!(msg.contains("irregular") && msg.contains("row 3"), "{msg}");
    }
}
