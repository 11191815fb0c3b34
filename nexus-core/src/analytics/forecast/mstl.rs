//! Seasonal-trend decomposition by loess: STL for one season, MSTL for several (a day
//! of the week and a day of the month, an hour of the day and of the week), and
//! forecasting through the decomposition.
//!
//! [`stl`] is the STL of Cleveland, Cleveland, McRae & Terpenning (1990) as statsmodels
//! implements it (`statsmodels.tsa.seasonal.STL`, a port of the authors' netlib Fortran):
//! the same defaults, the same loess with tricube weights, the same interpolation
//! between loess fits every `*_jump` points, the same robustness weights; the unit tests
//! match statsmodels to 1e-9. [`mstl`] is the MSTL of Bandara, Hyndman & Bergmeir (2021)
//! as statsmodels implements it (`statsmodels.tsa.seasonal.MSTL`). [`mstl_forecast`]
//! forecasts like statsforecast's `MSTL`: a model of your choice on the seasonally
//! adjusted series, plus every seasonal component continued by repeating its last cycle.
//!
//! ```
//! use nexus_core::analytics::forecast::mstl::{stl, StlOptions};
//!
//! let y: Vec<f64> = (0..48)
//!     .map(|t| 100.0 + t as f64 + 10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin())
//!     .collect();
//! let d = stl(&y, &StlOptions::new(12)).unwrap();
//! for t in 0..y.len() {
//!     assert!((d.trend[t] + d.seasonal[t] + d.remainder[t] - y[t]).abs() < 1e-9);
//! }
//! ```

use super::{Forecast, check_levels, check_series};
use crate::{Error, Result};

/// The settings of [`stl`]. The defaults (see [`StlOptions::new`]) are statsmodels'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StlOptions {
    /// The length of the seasonal cycle in periods, at least 2 (12 for monthly data
    /// with a yearly cycle).
    pub period: usize,
    /// The length of the seasonal smoother, an odd number of cycles of at least 3
    /// (default 7). Larger values give a seasonal pattern that changes more slowly.
    pub seasonal: usize,
    /// The length of the trend smoother, odd, at least 3 and larger than `period`;
    /// `None` (the default) is the smallest odd integer at least
    /// `1.5 · period / (1 - 1.5 / seasonal)`.
    pub trend: Option<usize>,
    /// The length of the low-pass filter, odd, at least 3 and larger than `period`;
    /// `None` (the default) is the smallest odd integer larger than `period`.
    pub low_pass: Option<usize>,
    /// The degree of the seasonal loess, 0 or 1 (default 1).
    pub seasonal_deg: usize,
    /// The degree of the trend loess, 0 or 1 (default 1).
    pub trend_deg: usize,
    /// The degree of the low-pass loess, 0 or 1 (default 1).
    pub low_pass_deg: usize,
    /// Fit the seasonal loess every `seasonal_jump` points and interpolate linearly
    /// in between (default 1: every point, statsmodels' default; R's `stl` uses
    /// `ceil(seasonal / 10)`).
    pub seasonal_jump: usize,
    /// The same for the trend loess (default 1).
    pub trend_jump: usize,
    /// The same for the low-pass loess (default 1).
    pub low_pass_jump: usize,
    /// Down-weight outliers by robustness iterations (default false).
    pub robust: bool,
    /// The number of passes of the inner loop (season, then trend); `None` (the
    /// default) is statsmodels' 5, or 2 when `robust`.
    pub inner_iter: Option<usize>,
    /// The number of robustness iterations; `None` (the default) is statsmodels' 0,
    /// or 15 when `robust`.
    pub outer_iter: Option<usize>,
}

impl StlOptions {
    /// The default settings for a cycle of `period` periods.
    pub fn new(period: usize) -> StlOptions {
        StlOptions {
            period,
            seasonal: 7,
            trend: None,
            low_pass: None,
            seasonal_deg: 1,
            trend_deg: 1,
            low_pass_deg: 1,
            seasonal_jump: 1,
            trend_jump: 1,
            low_pass_jump: 1,
            robust: false,
            inner_iter: None,
            outer_iter: None,
        }
    }
}

impl Default for StlOptions {
    /// The defaults of [`StlOptions::new`] with a period of 12 (monthly data).
    fn default() -> Self {
        StlOptions::new(12)
    }
}

/// The result of [`stl`]: `y = trend + seasonal + remainder`.
#[derive(Debug, Clone, PartialEq)]
pub struct StlDecomposition {
    /// The trend component.
    pub trend: Vec<f64>,
    /// The seasonal component.
    pub seasonal: Vec<f64>,
    /// The remainder, `y - trend - seasonal`.
    pub remainder: Vec<f64>,
    /// The robustness weights of the last iteration, in [0, 1] (all 1 without
    /// robustness iterations).
    pub weights: Vec<f64>,
}

/// Decomposes `y` into trend, seasonal and remainder components by STL.
///
/// Fails with [`Error::InvalidData`] for an empty series, a value that is not finite or
/// a series shorter than two cycles, and with [`Error::InvalidArgument`] for options out
/// of range (a period below 2, an even smoother length, a degree above 1, a jump or an
/// inner iteration count of 0).
pub fn stl(y: &[f64], opts: &StlOptions) -> Result<StlDecomposition> {
    let params = StlParams::new(y, opts)?;
    let (trend, seasonal, weights) = params.fit(y);
    let remainder = y
        .iter()
        .zip(&trend)
        .zip(&seasonal)
        .map(|((v, t), s)| v - s - t)
        .collect();
    Ok(StlDecomposition {
        trend,
        seasonal,
        remainder,
        weights,
    })
}

/// Validated STL settings (the names of the Fortran: np, ns, nt, nl, ...).
struct StlParams {
    np: usize,
    ns: usize,
    nt: usize,
    nl: usize,
    isdeg: usize,
    itdeg: usize,
    ildeg: usize,
    nsjump: usize,
    ntjump: usize,
    nljump: usize,
    inner: usize,
    outer: usize,
}

fn invalid(name: &'static str, message: String) -> Error {
    Error::InvalidArgument { name, message }
}

impl StlParams {
    fn new(y: &[f64], opts: &StlOptions) -> Result<StlParams> {
        let period = opts.period;
        if period < 2 {
            return Err(invalid(
                "period",
                format!("{period}: the seasonal period must be at least 2"),
            ));
        }
        let odd_at_least_3 = |name: &'static str, v: usize| {
            if v >= 3 && v % 2 == 1 {
                Ok(v)
            } else {
                Err(invalid(
                    name,
                    format!("{v}: a smoother length must be an odd integer of at least 3"),
                ))
            }
        };
        let ns = odd_at_least_3("seasonal", opts.seasonal)?;
        let nt = match opts.trend {
            Some(t) => t,
            None => {
                let t = (1.5 * period as f64 / (1.0 - 1.5 / ns as f64)).ceil() as usize;
                t + usize::from(t % 2 == 0)
            }
        };
        let nt = odd_at_least_3("trend", nt)?;
        if nt <= period {
            return Err(invalid(
                "trend",
                format!("{nt}: the trend smoother must be longer than the period {period}"),
            ));
        }
        let nl = match opts.low_pass {
            Some(l) => l,
            None => period + 1 + usize::from((period + 1) % 2 == 0),
        };
        let nl = odd_at_least_3("low_pass", nl)?;
        if nl <= period {
            return Err(invalid(
                "low_pass",
                format!("{nl}: the low-pass filter must be longer than the period {period}"),
            ));
        }
        for (name, deg) in [
            ("seasonal_deg", opts.seasonal_deg),
            ("trend_deg", opts.trend_deg),
            ("low_pass_deg", opts.low_pass_deg),
        ] {
            if deg > 1 {
                return Err(invalid(name, format!("{deg}: a loess degree is 0 or 1")));
            }
        }
        for (name, jump) in [
            ("seasonal_jump", opts.seasonal_jump),
            ("trend_jump", opts.trend_jump),
            ("low_pass_jump", opts.low_pass_jump),
        ] {
            if jump == 0 {
                return Err(invalid(name, "must be at least 1".into()));
            }
        }
        let inner = opts.inner_iter.unwrap_or(if opts.robust { 2 } else { 5 });
        if inner == 0 {
            return Err(invalid("inner_iter", "must be at least 1".into()));
        }
        let outer = opts.outer_iter.unwrap_or(if opts.robust { 15 } else { 0 });
        check_series("y", y)?;
        if y.len() < 2 * period {
            return Err(Error::invalid_data(
                "y",
                None,
                format!(
                    "has {} values: STL with period {period} needs at least two cycles ({})",
                    y.len(),
                    2 * period
                ),
            ));
        }
        Ok(StlParams {
            np: period,
            ns,
            nt,
            nl,
            isdeg: opts.seasonal_deg,
            itdeg: opts.trend_deg,
            ildeg: opts.low_pass_deg,
            nsjump: opts.seasonal_jump,
            ntjump: opts.trend_jump,
            nljump: opts.low_pass_jump,
            inner,
            outer,
        })
    }

    /// The STL driver: returns trend, season and robustness weights.
    fn fit(&self, y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = y.len();
        let mut trend = vec![0.0; n];
        let mut season = vec![0.0; n];
        let mut rw = vec![1.0; n];
        let mut work = Work::new(n + 2 * self.np);
        let mut use_rw = false;
        let mut k = 0;
        loop {
            self.onestp(y, use_rw, &rw, &mut season, &mut trend, &mut work);
            k += 1;
            if k > self.outer {
                break;
            }
            let fit: Vec<f64> = trend.iter().zip(&season).map(|(t, s)| t + s).collect();
            robustness_weights(y, &fit, &mut rw);
            use_rw = true;
        }
        (trend, season, rw)
    }

    /// The inner loop: `inner` passes of seasonal smoothing then trend smoothing.
    fn onestp(
        &self,
        y: &[f64],
        use_rw: bool,
        rw: &[f64],
        season: &mut [f64],
        trend: &mut [f64],
        w: &mut Work,
    ) {
        let n = y.len();
        let np = self.np;
        let rw = use_rw.then_some(rw);
        for _ in 0..self.inner {
            // Detrend, smooth the cycle-subseries into w.w1 (n + 2 np values).
            for i in 0..n {
                w.w0[i] = y[i] - trend[i];
            }
            self.cycle_subseries(n, rw, w);
            // Low-pass filter of the cycle-subseries smooth: moving averages of np,
            // np and 3, then a loess.
            moving_average(&w.w1, n + 2 * np, np, &mut w.w2);
            moving_average(&w.w2, n + np + 1, np, &mut w.w0);
            moving_average(&w.w0, n + 2, 3, &mut w.w2);
            ess(
                &w.w2,
                n,
                self.nl,
                self.ildeg,
                self.nljump,
                None,
                &mut w.w0,
                &mut w.w4,
            );
            // Season = smooth - low pass; deseasonalise and smooth the trend.
            for i in 0..n {
                season[i] = w.w1[np + i] - w.w0[i];
                w.w0[i] = y[i] - season[i];
            }
            ess(
                &w.w0,
                n,
                self.nt,
                self.itdeg,
                self.ntjump,
                rw,
                trend,
                &mut w.w2,
            );
        }
    }

    /// Smooths each cycle-subseries of `w.w0[..n]` by loess, extended by one cycle at
    /// each end, into `w.w1[..n + 2 np]`.
    fn cycle_subseries(&self, n: usize, rw: Option<&[f64]>, w: &mut Work) {
        let np = self.np;
        let ns = self.ns;
        for j in 0..np {
            let k = (n - (j + 1)) / np + 1;
            for i in 0..k {
                w.w2[i] = w.w0[i * np + j];
            }
            if let Some(rw) = rw {
                for i in 0..k {
                    w.w4[i] = rw[i * np + j];
                }
            }
            let sub_rw = rw.map(|_| &w.w4[..k]);
            let sub = &w.w2[..k];
            ess(
                sub,
                k,
                ns,
                self.isdeg,
                self.nsjump,
                sub_rw,
                &mut w.w3[1..],
                &mut w.w5,
            );
            // One value before the first and one after the last, extrapolated.
            let nright = ns.min(k);
            w.w3[0] =
                est(sub, k, ns, self.isdeg, 0, 1, nright, &mut w.w5, sub_rw).unwrap_or(w.w3[1]);
            let nleft = if k + 1 > ns { k + 1 - ns } else { 1 };
            w.w3[k + 1] = est(
                sub,
                k,
                ns,
                self.isdeg,
                k as i64 + 1,
                nleft,
                k,
                &mut w.w5,
                sub_rw,
            )
            .unwrap_or(w.w3[k]);
            for m in 0..k + 2 {
                w.w1[m * np + j] = w.w3[m];
            }
        }
    }
}

/// Work arrays of `n + 2 np` values.
struct Work {
    w0: Vec<f64>,
    w1: Vec<f64>,
    w2: Vec<f64>,
    w3: Vec<f64>,
    w4: Vec<f64>,
    w5: Vec<f64>,
}

impl Work {
    fn new(len: usize) -> Work {
        Work {
            w0: vec![0.0; len],
            w1: vec![0.0; len],
            w2: vec![0.0; len],
            w3: vec![0.0; len],
            w4: vec![0.0; len],
            w5: vec![0.0; len],
        }
    }
}

/// The loess fit at position `xs` (1-based) from the points `nleft..=nright` (1-based)
/// of `y[..n]`, with tricube weights over a window of `len` points, times the
/// robustness weights when given. `None` when every weight is 0. `w` is scratch.
#[allow(clippy::too_many_arguments)]
fn est(
    y: &[f64],
    n: usize,
    len: usize,
    ideg: usize,
    xs: i64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
    rw: Option<&[f64]>,
) -> Option<f64> {
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft as i64).max(nright as i64 - xs) as f64;
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    let xs = xs as f64;
    // The window's points: 0-based indices lo..hi, 1-based positions lo + 1..=hi.
    let (lo, hi) = (nleft - 1, nright);
    let w = &mut w[lo..hi];
    let position = |idx: usize| (lo + idx + 1) as f64;
    let mut a = 0.0;
    for (idx, wj) in w.iter_mut().enumerate() {
        *wj = 0.0;
        let r = (position(idx) - xs).abs();
        if r <= h9 {
            *wj = if r <= h1 {
                1.0
            } else {
                let q = r / h;
                let c = 1.0 - q * q * q;
                c * c * c
            };
            if let Some(rw) = rw {
                *wj *= rw[lo + idx];
            }
            a += *wj;
        }
    }
    if a <= 0.0 {
        return None;
    }
    for wj in w.iter_mut() {
        *wj /= a;
    }
    if h > 0.0 && ideg > 0 {
        let mut a = 0.0;
        for (idx, wj) in w.iter().enumerate() {
            a += wj * position(idx);
        }
        let mut b = xs - a;
        let mut c = 0.0;
        for (idx, wj) in w.iter().enumerate() {
            let d = position(idx) - a;
            c += wj * d * d;
        }
        if c.sqrt() > 0.001 * range {
            b /= c;
            for (idx, wj) in w.iter_mut().enumerate() {
                *wj *= b * (position(idx) - a) + 1.0;
            }
        }
    }
    Some(w.iter().zip(&y[lo..hi]).map(|(wj, yj)| wj * yj).sum())
}

/// The loess smooth of `y[..n]` into `ys[..n]` with a window of `len` points, fitted
/// every `njump` points and interpolated linearly in between. `res` is scratch.
#[allow(clippy::too_many_arguments)]
fn ess(
    y: &[f64],
    n: usize,
    len: usize,
    ideg: usize,
    njump: usize,
    rw: Option<&[f64]>,
    ys: &mut [f64],
    res: &mut [f64],
) {
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    let newnj = njump.min(n - 1);
    let mut nleft = 1;
    let mut nright = n;
    let mut fit = |i: usize, nleft: usize, nright: usize, ys: &mut [f64]| {
        ys[i] = est(y, n, len, ideg, i as i64 + 1, nleft, nright, res, rw).unwrap_or(y[i]);
    };
    if len >= n {
        let mut i = 0;
        while i < n {
            fit(i, nleft, nright, ys);
            i += newnj;
        }
    } else if newnj == 1 {
        let nsh = (len + 2) / 2;
        nright = len;
        for i in 0..n {
            if i + 1 > nsh && nright != n {
                nleft += 1;
                nright += 1;
            }
            fit(i, nleft, nright, ys);
        }
    } else {
        let nsh = len.div_ceil(2);
        let mut i = 0;
        while i < n {
            if i + 1 < nsh {
                nleft = 1;
                nright = len;
            } else if i + 1 > n - nsh {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i + 1 - nsh + 1;
                nright = len + i + 1 - nsh;
            }
            fit(i, nleft, nright, ys);
            i += newnj;
        }
    }
    if newnj == 1 {
        return;
    }
    let mut i = 0;
    while i < n - newnj {
        let delta = (ys[i + newnj] - ys[i]) / newnj as f64;
        for j in i..i + newnj {
            ys[j] = ys[i] + delta * (j - i) as f64;
        }
        i += newnj;
    }
    let k = ((n - 1) / newnj) * newnj + 1;
    if k != n {
        fit(n - 1, nleft, nright, ys);
        if k != n - 1 {
            let delta = (ys[n - 1] - ys[k - 1]) / (n - k) as f64;
            for j in k..n {
                ys[j] = ys[k - 1] + delta * (j + 1 - k) as f64;
            }
        }
    }
}

/// The moving average of `len` points of `x[..n]` into `ave[..n - len + 1]`.
fn moving_average(x: &[f64], n: usize, len: usize, ave: &mut [f64]) {
    let newn = n - len + 1;
    let flen = len as f64;
    let mut v: f64 = x[..len].iter().sum();
    ave[0] = v / flen;
    for j in 1..newn {
        v += x[len + j - 1] - x[j - 1];
        ave[j] = v / flen;
    }
}

/// The bisquare robustness weights of the residuals `y - fit`, scaled by six times
/// their median absolute value.
fn robustness_weights(y: &[f64], fit: &[f64], rw: &mut [f64]) {
    let n = y.len();
    for i in 0..n {
        rw[i] = (y[i] - fit[i]).abs();
    }
    let mut sorted = rw.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid0 = n / 2;
    let mid1 = n - mid0 - 1;
    let cmad = 3.0 * (sorted[mid0] + sorted[mid1]);
    if cmad == 0.0 {
        rw.iter_mut().for_each(|w| *w = 1.0);
        return;
    }
    let c9 = 0.999 * cmad;
    let c1 = 0.001 * cmad;
    for w in rw.iter_mut() {
        *w = if *w <= c1 {
            1.0
        } else if *w <= c9 {
            let q = *w / cmad;
            let c = 1.0 - q * q;
            c * c
        } else {
            0.0
        };
    }
}

/// The settings of [`mstl`] and [`mstl_forecast`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MstlOptions {
    /// The seasonal periods, in any order (they are sorted ascending). Periods the
    /// series does not cover more than twice are dropped, as statsmodels does.
    pub periods: Vec<usize>,
    /// The seasonal smoother length of each period (in the order of `periods`); `None`
    /// (the default) is `7 + 4 i` for the i-th period in ascending order, i = 1, 2, ...
    /// (11, 15, 19, ...), statsmodels' and R's default.
    pub windows: Option<Vec<usize>>,
    /// The number of passes over the seasonal components (default 2; 1 when there is a
    /// single period).
    pub iterate: usize,
    /// The settings of every STL, except `period` and `seasonal`, which come from
    /// `periods` and `windows` (default [`StlOptions::default`], not robust).
    pub stl: StlOptions,
}

impl MstlOptions {
    /// The default settings for the seasonal `periods`.
    pub fn new(periods: impl Into<Vec<usize>>) -> MstlOptions {
        MstlOptions {
            periods: periods.into(),
            windows: None,
            iterate: 2,
            stl: StlOptions::default(),
        }
    }
}

impl Default for MstlOptions {
    /// The default settings without any period: set `periods` before use.
    fn default() -> Self {
        MstlOptions::new(Vec::new())
    }
}

/// The result of [`mstl`]: `y = trend + Σ seasonals + remainder`.
#[derive(Debug, Clone, PartialEq)]
pub struct MstlDecomposition {
    /// The trend component.
    pub trend: Vec<f64>,
    /// One seasonal component per period kept, `(period, component)`, shortest period
    /// first.
    pub seasonals: Vec<(usize, Vec<f64>)>,
    /// The remainder.
    pub remainder: Vec<f64>,
}

impl MstlDecomposition {
    /// The seasonally adjusted series, `y - Σ seasonals` (= `trend + remainder`).
    pub fn seasonally_adjusted(&self) -> Vec<f64> {
        self.trend
            .iter()
            .zip(&self.remainder)
            .map(|(t, r)| t + r)
            .collect()
    }
}

/// Decomposes `y` into a trend, one seasonal component per period and a remainder by
/// MSTL: starting from `y`, each pass re-estimates every seasonal component, shortest
/// period first, by an STL of the series with the other components removed; the trend
/// is the last STL's.
///
/// Periods of at least half the series' length (two cycles or fewer) are dropped, as
/// statsmodels does (their windows with them). Fails with [`Error::InvalidData`] when
/// no period is left or `y` is empty or not finite, and with
/// [`Error::InvalidArgument`] for no period, a period below 2, windows that do not
/// match the periods, an `iterate` of 0 or bad STL settings.
pub fn mstl(y: &[f64], opts: &MstlOptions) -> Result<MstlDecomposition> {
    check_series("y", y)?;
    if opts.periods.is_empty() {
        return Err(invalid(
            "periods",
            "give at least one seasonal period".into(),
        ));
    }
    if let Some(&p) = opts.periods.iter().find(|&&p| p < 2) {
        return Err(invalid(
            "periods",
            format!("{p}: a seasonal period must be at least 2"),
        ));
    }
    if opts.iterate == 0 {
        return Err(invalid("iterate", "must be at least 1".into()));
    }
    let mut pairs: Vec<(usize, usize)> = match &opts.windows {
        Some(windows) => {
            if windows.len() != opts.periods.len() {
                return Err(invalid(
                    "windows",
                    format!(
                        "{} windows for {} periods: give one window per period",
                        windows.len(),
                        opts.periods.len()
                    ),
                ));
            }
            let mut pairs: Vec<(usize, usize)> = opts
                .periods
                .iter()
                .copied()
                .zip(windows.iter().copied())
                .collect();
            pairs.sort_unstable();
            pairs
        }
        None => {
            let mut periods = opts.periods.clone();
            periods.sort_unstable();
            periods
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p, 7 + 4 * (i + 1)))
                .collect()
        }
    };
    if let Some(&(_, w)) = pairs.iter().find(|(_, w)| *w < 3 || w % 2 == 0) {
        return Err(invalid(
            "windows",
            format!("{w}: a seasonal window must be an odd integer of at least 3"),
        ));
    }
    let n = y.len();
    pairs.retain(|(p, _)| 2 * p < n);
    if pairs.is_empty() {
        return Err(Error::invalid_data(
            "y",
            None,
            format!(
                "has {n} values: MSTL needs more than two cycles of at least one period ({:?})",
                opts.periods
            ),
        ));
    }
    let iterate = if pairs.len() == 1 { 1 } else { opts.iterate };
    let mut seasonals = vec![vec![0.0; n]; pairs.len()];
    let mut deseas = y.to_vec();
    let mut trend = Vec::new();
    for _ in 0..iterate {
        for (i, &(period, window)) in pairs.iter().enumerate() {
            for (d, s) in deseas.iter_mut().zip(&seasonals[i]) {
                *d += s;
            }
            let stl_opts = StlOptions {
                period,
                seasonal: window,
                ..opts.stl.clone()
            };
            let fit = stl(&deseas, &stl_opts)?;
            seasonals[i] = fit.seasonal;
            for (d, s) in deseas.iter_mut().zip(&seasonals[i]) {
                *d -= s;
            }
            trend = fit.trend;
        }
    }
    let remainder = deseas.iter().zip(&trend).map(|(d, t)| d - t).collect();
    Ok(MstlDecomposition {
        trend,
        seasonals: pairs.iter().map(|(p, _)| *p).zip(seasonals).collect(),
        remainder,
    })
}

/// Forecasts `h` periods of `y` through its MSTL decomposition, as statsforecast's
/// `MSTL` does: `trend_model(adjusted, h, levels)` forecasts the seasonally adjusted
/// series (trend + remainder), and every seasonal component, continued by repeating its
/// last cycle, is added to its mean and to both bounds of each of its intervals.
///
/// `trend_model` is typically a non-seasonal ETS or a drift model. It must return `h`
/// values and intervals of `h` values ([`Error::InvalidArgument`] naming `trend_model`
/// otherwise); its errors are returned as they are.
pub fn mstl_forecast<F>(
    y: &[f64],
    opts: &MstlOptions,
    h: usize,
    levels: &[f64],
    trend_model: F,
) -> Result<Forecast>
where
    F: FnOnce(&[f64], usize, &[f64]) -> Result<Forecast>,
{
    check_levels(levels)?;
    let decomposition = mstl(y, opts)?;
    let adjusted = decomposition.seasonally_adjusted();
    let mut forecast = trend_model(&adjusted, h, levels)?;
    let bad_length = forecast.mean.len() != h
        || forecast
            .intervals
            .iter()
            .any(|i| i.lower.len() != h || i.upper.len() != h);
    if bad_length {
        return Err(invalid(
            "trend_model",
            format!("returned a forecast that is not of the horizon {h}"),
        ));
    }
    let n = y.len();
    let seasonal: Vec<f64> = (0..h)
        .map(|k| {
            decomposition
                .seasonals
                .iter()
                .map(|(p, s)| s[n - p + k % p])
                .sum()
        })
        .collect();
    let add = |values: &mut Vec<f64>| {
        for (v, s) in values.iter_mut().zip(&seasonal) {
            *v += s;
        }
    };
    add(&mut forecast.mean);
    for interval in &mut forecast.intervals {
        add(&mut interval.lower);
        add(&mut interval.upper);
    }
    Ok(forecast)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::forecast::Interval;

    /// AirPassengers (Box & Jenkins), monthly 1949-1960; tests/data/AirPassengers.csv.
    const AIR_PASSENGERS: [f64; 144] = [
        112.0, 118.0, 132.0, 129.0, 121.0, 135.0, 148.0, 148.0, 136.0, 119.0, 104.0, 118.0, 115.0,
        126.0, 141.0, 135.0, 125.0, 149.0, 170.0, 170.0, 158.0, 133.0, 114.0, 140.0, 145.0, 150.0,
        178.0, 163.0, 172.0, 178.0, 199.0, 199.0, 184.0, 162.0, 146.0, 166.0, 171.0, 180.0, 193.0,
        181.0, 183.0, 218.0, 230.0, 242.0, 209.0, 191.0, 172.0, 194.0, 196.0, 196.0, 236.0, 235.0,
        229.0, 243.0, 264.0, 272.0, 237.0, 211.0, 180.0, 201.0, 204.0, 188.0, 235.0, 227.0, 234.0,
        264.0, 302.0, 293.0, 259.0, 229.0, 203.0, 229.0, 242.0, 233.0, 267.0, 269.0, 270.0, 315.0,
        364.0, 347.0, 312.0, 274.0, 237.0, 278.0, 284.0, 277.0, 317.0, 313.0, 318.0, 374.0, 413.0,
        405.0, 355.0, 306.0, 271.0, 306.0, 315.0, 301.0, 356.0, 348.0, 355.0, 422.0, 465.0, 467.0,
        404.0, 347.0, 305.0, 336.0, 340.0, 318.0, 362.0, 348.0, 363.0, 435.0, 491.0, 505.0, 404.0,
        359.0, 310.0, 337.0, 360.0, 342.0, 406.0, 396.0, 420.0, 472.0, 548.0, 559.0, 463.0, 407.0,
        362.0, 405.0, 417.0, 391.0, 419.0, 461.0, 472.0, 535.0, 622.0, 606.0, 508.0, 461.0, 390.0,
        432.0,
    ];

    /// 10 + 0.05 t + 2 sin(2πt/7) + 0.3 sin(0.37 t²): a weekly season with deterministic
    /// noise (the same formula generated the statsmodels references).
    fn synth(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| {
                let t = t as f64;
                10.0 + 0.05 * t
                    + 2.0 * (2.0 * std::f64::consts::PI * t / 7.0).sin()
                    + 0.3 * (0.37 * t * t).sin()
            })
            .collect()
    }

    /// 50 + 0.1 t + 5 sin(2πt/7) + 3 cos(2πt/30) + 0.5 sin(0.37 t²): two seasons.
    fn msynth(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| {
                let t = t as f64;
                let tau = 2.0 * std::f64::consts::PI;
                50.0 + 0.1 * t
                    + 5.0 * (tau * t / 7.0).sin()
                    + 3.0 * (tau * t / 30.0).cos()
                    + 0.5 * (0.37 * t * t).sin()
            })
            .collect()
    }

    /// Asserts `values[i] == v` to `tol` for each `(i, v)`.
    fn check(what: &str, values: &[f64], expected: &[(usize, f64)], tol: f64) {
        for &(i, v) in expected {
            assert!(
                (values[i] - v).abs() < tol,
                "{what}[{i}] = {} but statsmodels gives {v}",
                values[i]
            );
        }
    }

    // The references below were computed with statsmodels 0.15.0 (numpy 2.4.6).
    // Agreement is to 1e-9: the port follows statsmodels' arithmetic step by step, so
    // the values agree to rounding (~1e-12 on values of a few hundred).
    const TOL: f64 = 1e-9;

    #[test]
    fn stl_air_passengers_matches_statsmodels() {
        // statsmodels 0.15.0 STL(ap, period=12).fit(): seasonal 7, trend 23,
        // low_pass 13, inner_iter 5, outer_iter 0.
        let d = stl(&AIR_PASSENGERS, &StlOptions::new(12)).unwrap();
        check(
            "trend",
            &d.trend,
            &[
                (0, 122.63347622731537),
                (1, 123.34510119113665),
                (11, 130.77992600566057),
                (71, 258.58247493130096),
                (72, 262.27496457130957),
                (132, 455.63329626952986),
                (142, 492.02767038816637),
                (143, 495.53448560266975),
            ],
            TOL,
        );
        check(
            "seasonal",
            &d.seasonal,
            &[
                (0, -11.022167882141066),
                (1, -2.8386167129192037),
                (11, -10.949234192200926),
                (71, -28.047146280588056),
                (72, -23.801747578376176),
                (132, -41.937480949319934),
                (142, -98.27982026312723),
                (143, -60.93521513187621),
            ],
            TOL,
        );
        check(
            "remainder",
            &d.remainder,
            &[
                (0, 0.388691654825692),
                (1, -2.5064844782174447),
                (72, 3.5267830070666264),
                (143, -2.599270470793556),
            ],
            TOL,
        );
        assert!(d.weights.iter().all(|w| *w == 1.0));
    }

    #[test]
    fn robust_stl_air_passengers_matches_statsmodels() {
        // statsmodels 0.15.0 STL(ap, period=12, robust=True).fit(): inner_iter 2,
        // outer_iter 15.
        let opts = StlOptions {
            robust: true,
            ..StlOptions::new(12)
        };
        let d = stl(&AIR_PASSENGERS, &opts).unwrap();
        check(
            "trend",
            &d.trend,
            &[
                (0, 122.55173778889521),
                (71, 258.62858895018707),
                (143, 500.71081255851686),
            ],
            TOL,
        );
        check(
            "seasonal",
            &d.seasonal,
            &[
                (0, -11.148577392625317),
                (1, -4.354844785372033),
                (132, -41.221494512167325),
                (142, -102.59470448102908),
            ],
            TOL,
        );
        check(
            "remainder",
            &d.remainder,
            &[(11, -2.378478561107414), (143, -0.028621426189943122)],
            TOL,
        );
        check(
            "weights",
            &d.weights,
            &[
                (0, 0.997057660790783),
                (11, 0.9508115760747161),
                (132, 0.8845512469555528),
                (142, 0.8640133070858701),
            ],
            TOL,
        );
    }

    #[test]
    fn stl_with_jumps_and_degree_zero_matches_statsmodels() {
        // statsmodels 0.15.0 STL(synth(60), period=7, seasonal=9, seasonal_deg=0,
        // seasonal_jump=2, trend_jump=3, low_pass_jump=2).fit(inner_iter=2,
        // outer_iter=1): exercises the interpolation between loess fits and one
        // robustness iteration.
        let opts = StlOptions {
            seasonal: 9,
            seasonal_deg: 0,
            seasonal_jump: 2,
            trend_jump: 3,
            low_pass_jump: 2,
            inner_iter: Some(2),
            outer_iter: Some(1),
            ..StlOptions::new(7)
        };
        let d = stl(&synth(60), &opts).unwrap();
        check(
            "trend",
            &d.trend,
            &[
                (0, 10.142780646139833),
                (1, 10.158449340945715),
                (6, 10.224370366307515),
                (30, 11.533381212448568),
                (31, 11.612413075081513),
                (58, 12.933653025865297),
                (59, 12.960924309766266),
            ],
            TOL,
        );
        check(
            "seasonal",
            &d.seasonal,
            &[
                (0, -0.054355390926355114),
                (1, 1.5702220305126566),
                (6, -1.5791657634739484),
                (30, 1.9546770781954104),
                (31, 0.8386495838967676),
                (58, 1.9814822406643582),
                (59, 0.8993048429243601),
            ],
            TOL,
        );
    }

    #[test]
    fn stl_of_exactly_two_cycles_matches_statsmodels() {
        // statsmodels 0.15.0 STL(synth(14), period=7).fit(): the trend window (15) is
        // longer than the series.
        let d = stl(&synth(14), &StlOptions::new(7)).unwrap();
        check(
            "trend",
            &d.trend,
            &[
                (0, 10.12416800238067),
                (3, 10.192933050891705),
                (7, 10.284619782239732),
                (13, 10.422149879261767),
            ],
            TOL,
        );
        check(
            "seasonal",
            &d.seasonal,
            &[
                (0, -0.12416800238067904),
                (6, -1.320074110583925),
                (13, -1.424999845806469),
            ],
            TOL,
        );
    }

    #[test]
    fn stl_recovers_a_pure_season_and_line() {
        // y = 2 t + s(t) with a zero-mean period-4 season: a degree-1 loess reproduces
        // the line and the cycle-subseries are constant, so the decomposition is exact.
        let pattern = [3.0, -1.0, -4.0, 2.0];
        let y: Vec<f64> = (0..40).map(|t| 2.0 * t as f64 + pattern[t % 4]).collect();
        let d = stl(&y, &StlOptions::new(4)).unwrap();
        for t in 0..40 {
            assert!((d.trend[t] - 2.0 * t as f64).abs() < 1e-8, "trend {t}");
            assert!((d.seasonal[t] - pattern[t % 4]).abs() < 1e-8, "season {t}");
        }
    }

    #[test]
    fn stl_refuses_bad_input() {
        let y = synth(30);
        let e = stl(&y[..13], &StlOptions::new(7)).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
        assert!(e.to_string().contains("two cycles"), "{e}");
        let cases: [(StlOptions, &str); 8] = [
            (StlOptions::new(1), "period"),
            (
                StlOptions {
                    seasonal: 8,
                    ..StlOptions::new(7)
                },
                "seasonal",
            ),
            (
                StlOptions {
                    trend: Some(7),
                    ..StlOptions::new(7)
                },
                "trend",
            ),
            (
                StlOptions {
                    low_pass: Some(4),
                    ..StlOptions::new(7)
                },
                "low_pass",
            ),
            (
                StlOptions {
                    trend_deg: 2,
                    ..StlOptions::new(7)
                },
                "trend_deg",
            ),
            (
                StlOptions {
                    seasonal_jump: 0,
                    ..StlOptions::new(7)
                },
                "seasonal_jump",
            ),
            (
                StlOptions {
                    inner_iter: Some(0),
                    ..StlOptions::new(7)
                },
                "inner_iter",
            ),
            (
                StlOptions {
                    seasonal: 1,
                    ..StlOptions::new(7)
                },
                "seasonal",
            ),
        ];
        for (opts, name) in cases {
            match stl(&y, &opts) {
                Err(Error::InvalidArgument { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        let mut bad = y.clone();
        bad[5] = f64::NAN;
        let e = stl(&bad, &StlOptions::new(7)).unwrap_err();
        assert!(e.to_string().contains("row 5"), "{e}");
    }

    #[test]
    fn mstl_matches_statsmodels() {
        // statsmodels 0.15.0 MSTL(msynth(300), periods=[7, 30]).fit(): windows 11 and
        // 15, iterate 2, STL defaults.
        let y = msynth(300);
        let d = mstl(&y, &MstlOptions::new([30, 7])).unwrap();
        assert_eq!(d.seasonals.len(), 2);
        assert_eq!(d.seasonals[0].0, 7);
        assert_eq!(d.seasonals[1].0, 30);
        check(
            "trend",
            &d.trend,
            &[
                (0, 49.983372954608704),
                (1, 50.08542224199567),
                (149, 64.93703632543642),
                (150, 65.03136868335223),
                (298, 79.71283233755857),
                (299, 79.81135807793399),
            ],
            TOL,
        );
        check(
            "seasonal 7",
            &d.seasonals[0].1,
            &[
                (0, -0.21742032904383554),
                (1, 3.777198261414062),
                (149, 4.968966573212374),
                (150, 2.1669712722145835),
                (298, -2.2373463050519207),
                (299, -5.015610207112137),
            ],
            TOL,
        );
        check(
            "seasonal 30",
            &d.seasonals[1].1,
            &[
                (0, 3.092785195557384),
                (1, 3.000403025656509),
                (149, 2.904980584686232),
                (150, 2.9007369601910655),
                (298, 2.6560919802907765),
                (299, 2.921367715430688),
            ],
            TOL,
        );
        check(
            "remainder",
            &d.remainder,
            &[
                (0, 0.14126217887774573),
                (150, -0.039032611297855624),
                (299, -0.014787787673242292),
            ],
            TOL,
        );
        let adjusted = d.seasonally_adjusted();
        for t in 0..300 {
            let expected = y[t] - d.seasonals[0].1[t] - d.seasonals[1].1[t];
            assert!((adjusted[t] - expected).abs() < 1e-9);
        }
    }

    #[test]
    fn mstl_drops_long_periods_and_sorts_windows_like_statsmodels() {
        // statsmodels 0.15.0 MSTL(msynth(300), periods=[30, 200, 7],
        // windows=[21, 9, 13]).fit(): warns and drops 200 (>= 300 / 2); 7 keeps
        // window 13 and 30 window 21.
        let y = msynth(300);
        let opts = MstlOptions {
            windows: Some(vec![21, 9, 13]),
            ..MstlOptions::new([30, 200, 7])
        };
        let d = mstl(&y, &opts).unwrap();
        let periods: Vec<usize> = d.seasonals.iter().map(|(p, _)| *p).collect();
        assert_eq!(periods, vec![7, 30]);
        check(
            "trend",
            &d.trend,
            &[
                (0, 49.965387798100366),
                (150, 65.0332596477423),
                (299, 79.81470201371566),
            ],
            TOL,
        );
        check(
            "seasonal 7",
            &d.seasonals[0].1,
            &[
                (0, -0.12150440909317514),
                (149, 4.940156608106491),
                (299, -4.964871868474877),
            ],
            TOL,
        );
        check(
            "seasonal 30",
            &d.seasonals[1].1,
            &[
                (1, 3.0140256613642173),
                (150, 2.8911266061243266),
                (298, 2.561219027630682),
            ],
            TOL,
        );
    }

    #[test]
    fn mstl_with_one_period_is_stl() {
        let y = synth(60);
        let d = mstl(&y, &MstlOptions::new([7])).unwrap();
        let s = stl(
            &y,
            &StlOptions {
                seasonal: 11,
                ..StlOptions::new(7)
            },
        )
        .unwrap();
        assert_eq!(d.trend, s.trend);
        assert_eq!(d.seasonals, vec![(7, s.seasonal)]);
    }

    #[test]
    fn mstl_refuses_bad_input() {
        let y = msynth(40);
        let e = mstl(&y, &MstlOptions::new([20, 30])).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
        let e = mstl(&y, &MstlOptions::default()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "periods",
                    ..
                }
            ),
            "{e}"
        );
        let e = mstl(&y, &MstlOptions::new([1, 7])).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "periods",
                    ..
                }
            ),
            "{e}"
        );
        let opts = MstlOptions {
            windows: Some(vec![11]),
            ..MstlOptions::new([7, 12])
        };
        let e = mstl(&y, &opts).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "windows",
                    ..
                }
            ),
            "{e}"
        );
        let opts = MstlOptions {
            windows: Some(vec![10]),
            ..MstlOptions::new([7])
        };
        assert!(mstl(&y, &opts).is_err());
        let opts = MstlOptions {
            iterate: 0,
            ..MstlOptions::new([7])
        };
        assert!(mstl(&y, &opts).is_err());
    }

    /// A trend model for the tests: the last value, ± 1 and ± 2 per level in order.
    fn last_value(adjusted: &[f64], h: usize, levels: &[f64]) -> Result<Forecast> {
        let last = adjusted[adjusted.len() - 1];
        Ok(Forecast {
            mean: vec![last; h],
            intervals: levels
                .iter()
                .enumerate()
                .map(|(i, &level)| Interval {
                    level,
                    lower: vec![last - (i + 1) as f64; h],
                    upper: vec![last + (i + 1) as f64; h],
                })
                .collect(),
        })
    }

    #[test]
    fn mstl_forecast_continues_each_last_cycle() {
        let y = msynth(300);
        let opts = MstlOptions::new([7, 30]);
        let d = mstl(&y, &opts).unwrap();
        let adjusted_last = d.seasonally_adjusted()[299];
        let h = 40;
        let f = mstl_forecast(&y, &opts, h, &[80.0, 95.0], last_value).unwrap();
        assert_eq!(f.mean.len(), h);
        let (s7, s30) = (&d.seasonals[0].1, &d.seasonals[1].1);
        for k in 0..h {
            // step k + 1 repeats the cycle position of period 300 - p + k mod p.
            let season = s7[293 + k % 7] + s30[270 + k % 30];
            assert!(
                (f.mean[k] - (adjusted_last + season)).abs() < 1e-9,
                "step {k}"
            );
            let i80 = &f.intervals[0];
            assert!((i80.lower[k] - (adjusted_last - 1.0 + season)).abs() < 1e-9);
            assert!((f.intervals[1].upper[k] - (adjusted_last + 2.0 + season)).abs() < 1e-9);
        }
        // One full week later the weekly component repeats exactly.
        assert!((f.mean[7] - f.mean[0] - (s30[277] - s30[270])).abs() < 1e-9);
        assert_eq!(f.intervals[1].level, 95.0);
        // The forecast continues the signal: the next values of the same formula
        // differ by the noise term (at most 0.5) and the trend the flat trend model
        // misses (0.1 per step), so compare the first steps only.
        let truth = msynth(305);
        for k in 0..5 {
            assert!((f.mean[k] - truth[300 + k]).abs() < 2.0, "step {k}");
        }
    }

    #[test]
    fn mstl_forecast_checks_the_trend_model() {
        let y = msynth(100);
        let opts = MstlOptions::new([7]);
        let short = |_: &[f64], _: usize, _: &[f64]| {
            Ok(Forecast {
                mean: vec![1.0],
                intervals: vec![],
            })
        };
        let e = mstl_forecast(&y, &opts, 3, &[], short).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument {
                    name: "trend_model",
                    ..
                }
            ),
            "{e}"
        );
        let failing = |_: &[f64], _: usize, _: &[f64]| -> Result<Forecast> {
            Err(Error::Fit {
                model: "ETS".into(),
                message: "no".into(),
            })
        };
        assert!(matches!(
            mstl_forecast(&y, &opts, 3, &[], failing),
            Err(Error::Fit { .. })
        ));
        assert!(mstl_forecast(&y, &opts, 3, &[120.0], last_value).is_err());
        // The trend model sees the seasonally adjusted series.
        let d = mstl(&y, &opts).unwrap();
        let adjusted = d.seasonally_adjusted();
        let seen = |a: &[f64], h: usize, l: &[f64]| {
            assert_eq!(a, adjusted.as_slice());
            last_value(a, h, l)
        };
        assert!(mstl_forecast(&y, &opts, 3, &[], seen).is_ok());
    }
}
