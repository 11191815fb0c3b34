//! The Gamma-Gamma model of the mean transaction value (Fader & Hardie, note 025; Fader,
//! Hardie & Lee 2005, "RFM and CLV: using iso-value curves"), and customer lifetime value.

use serde::{Deserialize, Serialize};

use super::optim::{self, BfgsOptions, Objective};
use super::special::{digamma, ln_gamma};
use super::{
    FitInfo, PurchaseModel, check_frequency, check_len, check_params, check_penalizer,
    not_converged, standard_errors, validate_weights,
};
use crate::{Error, Result};

const MODEL: &str = "GammaGamma";

/// The parameters of the Gamma-Gamma model.
///
/// A customer's transaction values are gamma distributed with shape `p` and a rate that is
/// itself gamma distributed across customers with shape `q` and scale `v` (Fader & Hardie's
/// `gamma`, in money units); the population mean transaction value is `p v / (q - 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// Shape of the distribution of one customer's transaction values.
    pub p: f64,
    /// Shape of the distribution of the rate across customers.
    pub q: f64,
    /// Scale of the distribution of the rate across customers (`gamma` in note 025).
    pub v: f64,
}

impl GammaGammaParams {
    /// The parameters by name, in the order `p`, `q`, `v`.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        vec![("p", self.p), ("q", self.q), ("v", self.v)]
    }
}

/// The Gamma-Gamma model, unfitted: its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GammaGamma {
    /// L2 penalty on the parameters (lifetimes' `penalizer_coef`; 0 for none).
    pub penalizer: f64,
}

/// Validates (frequency, monetary value) pairs: equal lengths, whole non-negative
/// frequencies, finite non-negative values.
fn validate(frequency: &[f64], monetary_value: &[f64]) -> Result<()> {
    check_len(
        "monetary_value",
        monetary_value,
        "frequency",
        frequency.len(),
    )?;
    for (i, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
        check_frequency(i, x)?;
        if !m.is_finite() || m < 0.0 {
            return Err(Error::invalid_data(
                "monetary_value",
                Some(i),
                format!("monetary_value is {m}, not a finite number >= 0"),
            ));
        }
    }
    Ok(())
}

impl GammaGamma {
    /// Fits the model to the customers with at least one repeat purchase (rows with
    /// `frequency` 0 are ignored, whatever their `monetary_value`): `frequency` is the number
    /// of repeat purchases and `monetary_value` their mean value, which must be positive.
    /// Fails with [`Error::Fit`] when there is no repeat buyer or the optimizer does not
    /// converge.
    pub fn fit(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<FittedGammaGamma> {
        fit(self.penalizer, frequency, monetary_value, None)
    }

    /// As [`fit`](Self::fit), each row standing for `weights[i]` identical customers.
    pub fn fit_weighted(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
        weights: &[f64],
    ) -> Result<FittedGammaGamma> {
        fit(self.penalizer, frequency, monetary_value, Some(weights))
    }
}

/// The repeat buyers as the likelihood iterates over them, values rescaled.
struct Buyers {
    x: Vec<f64>,
    m: Vec<f64>,
    w: Vec<f64>,
    /// The index of each buyer's frequency in `ux`.
    xi: Vec<usize>,
    ux: Vec<f64>,
    wx: Vec<f64>,
    total_w: f64,
    /// sum w x ln m, sum w ln m, sum w x ln x.
    sums: [f64; 3],
}

impl Buyers {
    fn new(frequency: &[f64], monetary_value: &[f64], weights: Option<&[f64]>, scale: f64) -> Self {
        let mut rows: Vec<usize> = (0..frequency.len())
            .filter(|&i| frequency[i] > 0.0 && weights.is_none_or(|w| w[i] > 0.0))
            .collect();
        rows.sort_by(|&i, &j| frequency[i].total_cmp(&frequency[j]));
        let mut b = Buyers {
            x: vec![],
            m: vec![],
            w: vec![],
            xi: vec![],
            ux: vec![],
            wx: vec![],
            total_w: 0.0,
            sums: [0.0; 3],
        };
        for i in rows {
            let (x, m) = (frequency[i], monetary_value[i] * scale);
            let w = weights.map_or(1.0, |w| w[i]);
            if b.ux.last() != Some(&x) {
                b.ux.push(x);
                b.wx.push(0.0);
            }
            *b.wx.last_mut().expect("a frequency was pushed") += w;
            b.xi.push(b.ux.len() - 1);
            b.x.push(x);
            b.m.push(m);
            b.w.push(w);
            b.total_w += w;
            b.sums[0] += w * x * m.ln();
            b.sums[1] += w * m.ln();
            b.sums[2] += w * x * x.ln();
        }
        b
    }
}

struct GgObjective<'a> {
    buyers: &'a Buyers,
    penalizer: f64,
}

impl Objective for GgObjective<'_> {
    fn eval(&mut self, th: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if th.iter().any(|v| !v.is_finite() || v.abs() > 60.0) {
            return f64::INFINITY;
        }
        let (p, q, v) = (th[0].exp(), th[1].exp(), th[2].exp());
        let b = self.buyers;
        let wt = b.total_w;
        let want = grad.is_some();
        let ln_v = v.ln();
        let mut ll = wt * (-ln_gamma(q) + q * ln_v) + p * b.sums[0] - b.sums[1] + p * b.sums[2];
        let (mut gp, mut gq, mut gv) = (0.0, 0.0, 0.0);
        if want {
            gp = b.sums[0] + b.sums[2];
            gq = wt * (-digamma(q) + ln_v);
            gv = wt * q / v;
        }
        for k in 0..b.ux.len() {
            let (u, wk) = (b.ux[k], b.wx[k]);
            ll += wk * (ln_gamma(p * u + q) - ln_gamma(p * u));
            if want {
                let dpq = digamma(p * u + q);
                gp += wk * u * (dpq - digamma(p * u));
                gq += wk * dpq;
            }
        }
        for i in 0..b.x.len() {
            let (x, w) = (b.x[i], b.w[i]);
            let xm = x * b.m[i] + v;
            let l = xm.ln();
            ll -= w * (p * x + q) * l;
            if want {
                gp -= w * x * l;
                gq -= w * l;
                gv -= w * (p * x + q) / xm;
            }
        }
        let pen = self.penalizer;
        let f = -ll / wt + pen * (p * p + q * q + v * v);
        if let Some(g) = grad {
            g[0] = -gp * p / wt + 2.0 * pen * p * p;
            g[1] = -gq * q / wt + 2.0 * pen * q * q;
            g[2] = -gv * v / wt + 2.0 * pen * v * v;
        }
        if f.is_finite() { f } else { f64::INFINITY }
    }

    fn analytic_gradient(&self) -> bool {
        true
    }
}

/// One repeat buyer's log-density of the mean value `m` of `x` transactions (note 025, eq. 1a).
fn ll_one(p: &GammaGammaParams, x: f64, m: f64) -> f64 {
    let GammaGammaParams { p, q, v } = *p;
    ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
        + q * v.ln()
        + (p * x - 1.0) * m.ln()
        + p * x * x.ln()
        - (p * x + q) * (x * m + v).ln()
}

fn fit(
    penalizer: f64,
    frequency: &[f64],
    monetary_value: &[f64],
    weights: Option<&[f64]>,
) -> Result<FittedGammaGamma> {
    check_penalizer(penalizer)?;
    validate(frequency, monetary_value)?;
    if let Some(w) = weights {
        validate_weights(w, frequency.len())?;
    }
    for (i, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
        if x > 0.0 && m <= 0.0 && weights.is_none_or(|w| w[i] > 0.0) {
            return Err(Error::invalid_data(
                "monetary_value",
                Some(i),
                format!(
                    "monetary_value is {m} for a customer with {x} repeat purchases (must be > 0)"
                ),
            ));
        }
    }
    let used = |i: usize| frequency[i] > 0.0 && weights.is_none_or(|w| w[i] > 0.0);
    let (mut sw, mut swm) = (0.0, 0.0);
    for i in (0..frequency.len()).filter(|&i| used(i)) {
        let w = weights.map_or(1.0, |w| w[i]);
        sw += w;
        swm += w * monetary_value[i];
    }
    if sw <= 0.0 {
        return Err(Error::Fit {
            model: MODEL.to_string(),
            message:
                "no customer has a repeat purchase: the spend model is fitted on repeat buyers only"
                    .to_string(),
        });
    }
    // Values rescaled to a mean of 1: only v changes (v = v' * mean).
    let mean = swm / sw;
    let buyers = Buyers::new(frequency, monetary_value, weights, 1.0 / mean);
    let mut obj = GgObjective {
        buyers: &buyers,
        penalizer,
    };
    let starts = [
        vec![0.0, 0.0, 0.0],
        vec![2f64.ln(), 3f64.ln(), 0.5f64.ln()],
        vec![5f64.ln(), 5f64.ln(), 1f64.ln()],
    ];
    let opts = BfgsOptions {
        gtol: 1e-8,
        max_step: 3.0,
        max_iter: 500,
    };
    let m = optim::minimize(&mut obj, &starts, &opts);
    if !m.converged || !m.f.is_finite() {
        return Err(not_converged(MODEL, m.grad_norm));
    }
    let th = &m.x;
    let params = GammaGammaParams {
        p: th[0].exp(),
        q: th[1].exp(),
        v: th[2].exp() * mean,
    };
    if params
        .named()
        .iter()
        .any(|(_, v)| !v.is_finite() || *v <= 0.0)
    {
        return Err(not_converged(MODEL, m.grad_norm));
    }
    let mut obj0 = GgObjective {
        buyers: &buyers,
        penalizer: 0.0,
    };
    let mut g = vec![0.0; 3];
    // The total log-likelihood in money units: dividing values by `mean` multiplies each
    // density by `mean`.
    let log_likelihood = -buyers.total_w * obj0.eval(th, Some(&mut g)) - buyers.total_w * mean.ln();
    let h: Vec<f64> = optim::hessian(&mut obj0, th)
        .iter()
        .map(|v| v * buyers.total_w)
        .collect();
    let g: Vec<f64> = g.iter().map(|v| v * buyers.total_w).collect();
    let se = standard_errors(&[params.p, params.q, params.v], &h, &g).map(|s| GammaGammaParams {
        p: s[0],
        q: s[1],
        v: s[2],
    });
    let n_customers = (0..frequency.len()).filter(|&i| used(i)).count();
    Ok(FittedGammaGamma {
        params,
        fit: Some(FitInfo {
            log_likelihood,
            n_customers,
            standard_errors: se,
        }),
    })
}

/// A fitted Gamma-Gamma model: its parameters, fit statistics, expected transaction values and
/// customer lifetime value.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedGammaGamma {
    params: GammaGammaParams,
    fit: Option<FitInfo<GammaGammaParams>>,
}

impl FittedGammaGamma {
    /// A fitted model from known parameters (all finite and positive); it has no
    /// log-likelihood, customer count or standard errors.
    pub fn new(params: GammaGammaParams) -> Result<Self> {
        check_params(MODEL, &params.named())?;
        Ok(FittedGammaGamma { params, fit: None })
    }

    /// The parameters (`v` in the money unit of the data).
    pub fn params(&self) -> GammaGammaParams {
        self.params
    }

    /// The total log-likelihood of the fitted repeat buyers' mean values at the estimate, or
    /// `None` for a model made with [`new`](Self::new).
    pub fn log_likelihood(&self) -> Option<f64> {
        self.fit.as_ref().map(|f| f.log_likelihood)
    }

    /// The number of repeat buyers fitted; 0 for a model made with [`new`](Self::new).
    pub fn n_customers(&self) -> usize {
        self.fit.as_ref().map_or(0, |f| f.n_customers)
    }

    /// The standard errors of the parameters (from the inverse Hessian of the negative
    /// log-likelihood at the estimate, in the natural parameters), or `None` for a model
    /// made with [`new`](Self::new) or when that Hessian is not positive definite.
    pub fn standard_errors(&self) -> Option<GammaGammaParams> {
        self.fit.as_ref().and_then(|f| f.standard_errors)
    }

    /// The population mean transaction value `p v / (q - 1)`; infinite when `q <= 1` (the mean
    /// does not exist).
    pub fn population_mean(&self) -> f64 {
        let GammaGammaParams { p, q, v } = self.params;
        if q > 1.0 {
            p * v / (q - 1.0)
        } else {
            f64::INFINITY
        }
    }

    /// The expected mean transaction value of each customer given their number of repeat
    /// purchases and the mean value of those (note 025, eq. 5): `p (v + x m) / (p x + q - 1)`,
    /// a weighted mean of the customer's own mean and the population's. For a customer
    /// without repeat purchase it is the population mean. Infinite when `p x + q <= 1`.
    pub fn expected_average_value(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Vec<f64>> {
        validate(frequency, monetary_value)?;
        Ok(frequency
            .iter()
            .zip(monetary_value)
            .map(|(&x, &m)| self.average_one(x, m))
            .collect())
    }

    fn average_one(&self, x: f64, m: f64) -> f64 {
        let GammaGammaParams { p, q, v } = self.params;
        let den = p * x + q - 1.0;
        if den > 0.0 {
            p * (v + x * m) / den
        } else {
            f64::INFINITY
        }
    }

    /// The total log-likelihood of other repeat buyers' mean values under this model (rows
    /// with frequency 0 are ignored).
    pub fn log_likelihood_of(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<f64> {
        validate(frequency, monetary_value)?;
        Ok(frequency
            .iter()
            .zip(monetary_value)
            .filter(|(x, _)| **x > 0.0)
            .map(|(&x, &m)| ll_one(&self.params, x, m))
            .sum())
    }

    /// Customer lifetime value, the discounted cash flow of lifetimes'
    /// `customer_lifetime_value`: for each customer,
    /// `sum_{i=1..=months} (E[N(i u)] - E[N((i - 1) u)]) * value / (1 + discount_rate)^i`, where
    /// `E[N(t)]` is `model`'s [`expected_purchases`](PurchaseModel::expected_purchases) in the
    /// next `t` time units, `u = 30 / freq_days` is a month in the model's time unit
    /// (`freq_days` is the length of that unit in days: 7 for weeks, 1 for days) and `value`
    /// is [`expected_average_value`](Self::expected_average_value). `discount_rate` is per
    /// month.
    #[allow(clippy::too_many_arguments)]
    pub fn clv(
        &self,
        model: &dyn PurchaseModel,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        monetary_value: &[f64],
        months: u32,
        discount_rate: f64,
        freq_days: f64,
    ) -> Result<Vec<f64>> {
        if !discount_rate.is_finite() || discount_rate < 0.0 {
            return Err(Error::InvalidArgument {
                name: "discount_rate",
                message: format!(
                    "the monthly discount rate must be a finite number >= 0, not {discount_rate}"
                ),
            });
        }
        if !freq_days.is_finite() || freq_days <= 0.0 {
            return Err(Error::InvalidArgument {
                name: "freq_days",
                message: format!(
                    "the model's time unit in days must be a finite number > 0, not {freq_days}"
                ),
            });
        }
        let value = self.expected_average_value(frequency, monetary_value)?;
        let unit = 30.0 / freq_days;
        let mut clv = vec![0.0; frequency.len()];
        let mut previous = vec![0.0; frequency.len()];
        for i in 1..=months {
            let expected =
                model.expected_purchases(f64::from(i) * unit, frequency, recency, age)?;
            let discount = (1.0 + discount_rate).powf(f64::from(i));
            for c in 0..clv.len() {
                clv[c] += (expected[c] - previous[c]) * value[c] / discount;
            }
            previous = expected;
        }
        Ok(clv)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::cdnow_with_value;
    use super::super::{BetaGeo, BetaGeoParams, FittedBetaGeo, FittedParetoNbd, ParetoNbdParams};
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn gamma_gamma_on_cdnow_matches_the_published_estimates() {
        let (x, _, _, z) = cdnow_with_value();
        let m = GammaGamma::default().fit(&x, &z).unwrap();
        let p = m.params();
        // Published (Fader, Hardie & Lee 2005, JMR; note 025): p 6.25, q 3.74, gamma 15.44, on
        // the 946 repeat buyers.
        assert_eq!(m.n_customers(), 946);
        assert!(rel(p.p, 6.25) < 5e-3, "{p:?}");
        assert!(rel(p.q, 3.74) < 5e-3, "{p:?}");
        assert!(rel(p.v, 15.44) < 5e-3, "{p:?}");
        let se = m.standard_errors().unwrap();
        assert!(se.named().iter().all(|(_, v)| v.is_finite() && *v > 0.0));
        let ll = m.log_likelihood().unwrap();
        assert!((m.log_likelihood_of(&x, &z).unwrap() - ll).abs() < 1e-9);
        // The gradient is analytic: check it against differences.
        let buyers = Buyers::new(&x, &z, None, 1.0 / 35.0);
        let mut obj = GgObjective {
            buyers: &buyers,
            penalizer: 0.05,
        };
        let th = [1.5, 1.0, -0.5];
        let mut g = [0.0; 3];
        obj.eval(&th, Some(&mut g));
        let mut num = [0.0; 3];
        optim::central_gradient(&mut |t| obj.eval(t, None), &th, &mut num);
        for i in 0..3 {
            assert!(
                (g[i] - num[i]).abs() < 1e-7 * (1.0 + g[i].abs()),
                "{g:?} vs {num:?}"
            );
        }
    }

    #[test]
    fn expected_average_value_matches_hardies_spreadsheet() {
        // Note 025's spreadsheet for the first ten CDNOW customers, as quoted by lifetimes'
        // test_conditional_expected_average_profit (and its Quickstart: 24.658619, 18.911489,
        // 35.170981, ..., 71.462843, 27.282408).
        // With the rounded parameters lifetimes allows 0.1; with the fitted model the
        // Quickstart's six digits hold.
        let rounded = FittedGammaGamma::new(GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        })
        .unwrap();
        let (x, _, _, z) = cdnow_with_value();
        let got = rounded.expected_average_value(&x[..10], &z[..10]).unwrap();
        let published = [
            24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17,
        ];
        for (g, p) in got.iter().zip(published) {
            assert!((g - p).abs() < 0.1, "{got:?}");
        }
        let fitted = GammaGamma::default().fit(&x, &z).unwrap();
        let got = fitted.expected_average_value(&x[..10], &z[..10]).unwrap();
        let quickstart = [
            24.658619, 18.911489, 35.170981, 35.170981, 35.170981, 71.462843, 18.911489, 35.170981,
            27.282408, 35.170981,
        ];
        for (g, p) in got.iter().zip(quickstart) {
            assert!(rel(*g, p) < 1e-4, "{got:?}");
        }
        assert!(rel(fitted.population_mean(), 35.170981) < 1e-4);
        // "Expected conditional average profit: 35.2529588256" (the mean over all customers).
        let all = fitted.expected_average_value(&x, &z).unwrap();
        assert!(rel(all.iter().sum::<f64>() / all.len() as f64, 35.2529588256) < 1e-4);
    }

    #[test]
    fn clv_matches_lifetimes_quickstart() {
        // lifetimes' Quickstart ("Estimating customer lifetime value"): the BG/NBD and the
        // Gamma-Gamma fitted on the CDNOW summary with values, customer_lifetime_value with
        // time=12, discount_rate=0.01 and the default freq="D" (30 time units a month, here
        // weeks, so freq_days = 1): 140.096211, 18.943467, 38.180574, 38.180574, 38.180574,
        // 1003.868107, 28.109683, 38.180574, 167.418216, 38.180574.
        let (x, r, t, z) = cdnow_with_value();
        let bg = BetaGeo::default().fit(&x, &r, &t).unwrap();
        let gg = GammaGamma::default().fit(&x, &z).unwrap();
        let clv = gg
            .clv(&bg, &x[..10], &r[..10], &t[..10], &z[..10], 12, 0.01, 1.0)
            .unwrap();
        let published = [
            140.096211,
            18.943467,
            38.180574,
            38.180574,
            38.180574,
            1003.868107,
            28.109683,
            38.180574,
            167.418216,
            38.180574,
        ];
        for (g, p) in clv.iter().zip(published) {
            assert!(rel(*g, p) < 2e-3, "{clv:?}");
        }
        // The same by hand, month by month.
        let values = gg.expected_average_value(&x[..3], &z[..3]).unwrap();
        let mut by_hand = [0.0; 3];
        for i in 1..=12 {
            let now = bg
                .expected_purchases(30.0 * i as f64, &x[..3], &r[..3], &t[..3])
                .unwrap();
            let before = bg
                .expected_purchases(30.0 * (i - 1) as f64, &x[..3], &r[..3], &t[..3])
                .unwrap();
            for c in 0..3 {
                by_hand[c] += (now[c] - before[c]) * values[c] / 1.01f64.powi(i);
            }
        }
        for c in 0..3 {
            assert!(rel(clv[c], by_hand[c]) < 1e-12);
        }
        // Any count model works, and weeks (freq_days 7) give a shorter horizon than days.
        let pn = FittedParetoNbd::new(ParetoNbdParams {
            r: 0.553,
            alpha: 10.578,
            s: 0.606,
            beta: 11.669,
        })
        .unwrap();
        let weeks = gg
            .clv(&pn, &x[..10], &r[..10], &t[..10], &z[..10], 12, 0.01, 7.0)
            .unwrap();
        let days = gg
            .clv(&pn, &x[..10], &r[..10], &t[..10], &z[..10], 12, 0.01, 1.0)
            .unwrap();
        assert!(
            weeks
                .iter()
                .zip(&days)
                .all(|(w, d)| w.is_finite() && *w > 0.0 && w < d)
        );
        assert_eq!(
            gg.clv(&pn, &x[..2], &r[..2], &t[..2], &z[..2], 0, 0.01, 7.0)
                .unwrap(),
            vec![0.0, 0.0]
        );
    }

    #[test]
    fn small_samples_fit_or_fail_cleanly() {
        let (x, _, _, z) = cdnow_with_value();
        for n in [1, 2, 3, 5, 20] {
            for penalizer in [0.0, 0.1] {
                match (GammaGamma { penalizer }).fit(&x[..n], &z[..n]) {
                    Ok(m) => assert!(
                        m.params()
                            .named()
                            .iter()
                            .all(|(_, v)| v.is_finite() && *v > 0.0)
                    ),
                    Err(e) => assert!(matches!(e, Error::Fit { .. }), "{n}: {e:?}"),
                }
            }
        }
        // Identical values for every buyer: no spread to estimate, still no panic.
        let _ = GammaGamma::default().fit(&[1.0, 2.0, 3.0], &[10.0, 10.0, 10.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let gg = GammaGamma::default();
        assert!(matches!(
            gg.fit(&[1.0, 2.0], &[3.0]),
            Err(Error::InvalidData { .. })
        ));
        assert!(matches!(
            gg.fit(&[1.0, 2.0], &[3.0, -1.0]),
            Err(Error::InvalidData { row: Some(1), .. })
        ));
        assert!(matches!(
            gg.fit(&[1.0, 2.0], &[3.0, 0.0]),
            Err(Error::InvalidData { row: Some(1), .. })
        ));
        assert!(matches!(
            gg.fit(&[1.0, 2.5], &[3.0, 1.0]),
            Err(Error::InvalidData { row: Some(1), .. })
        ));
        assert!(matches!(
            gg.fit(&[0.0, 0.0], &[0.0, 0.0]),
            Err(Error::Fit { .. })
        ));
        assert!(matches!(gg.fit(&[], &[]), Err(Error::Fit { .. })));
        assert!(matches!(
            GammaGamma { penalizer: -1.0 }.fit(&[1.0], &[1.0]),
            Err(Error::InvalidArgument { .. })
        ));
        let m = FittedGammaGamma::new(GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        })
        .unwrap();
        assert!(matches!(
            m.expected_average_value(&[1.0], &[f64::NAN]),
            Err(Error::InvalidData { .. })
        ));
        let bg = FittedBetaGeo::new(BetaGeoParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        })
        .unwrap();
        assert!(matches!(
            m.clv(&bg, &[1.0], &[1.0], &[2.0], &[3.0], 12, -0.1, 7.0),
            Err(Error::InvalidArgument {
                name: "discount_rate",
                ..
            })
        ));
        assert!(matches!(
            m.clv(&bg, &[1.0], &[1.0], &[2.0], &[3.0], 12, 0.01, 0.0),
            Err(Error::InvalidArgument {
                name: "freq_days",
                ..
            })
        ));
        assert!(matches!(
            m.clv(&bg, &[1.0], &[1.0], &[2.0, 3.0], &[3.0], 12, 0.01, 7.0),
            Err(Error::InvalidData { .. })
        ));
        assert!(
            FittedGammaGamma::new(GammaGammaParams {
                p: 0.0,
                q: 1.0,
                v: 1.0
            })
            .is_err()
        );
        // q <= 1: the population mean does not exist.
        let heavy = FittedGammaGamma::new(GammaGammaParams {
            p: 0.5,
            q: 0.8,
            v: 10.0,
        })
        .unwrap();
        assert_eq!(heavy.population_mean(), f64::INFINITY);
        assert_eq!(
            heavy.expected_average_value(&[0.0], &[0.0]).unwrap()[0],
            f64::INFINITY
        );
        assert!(heavy.expected_average_value(&[3.0], &[10.0]).unwrap()[0].is_finite());
    }
}
