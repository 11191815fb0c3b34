//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), with the likelihood in the
//! form of Fader & Hardie's note 008 (as lifetimes' `ParetoNBDFitter`).

use serde::{Deserialize, Serialize};

use super::optim::{self, BfgsOptions, Objective};
use super::special::{
    digamma, ln_gamma, ln_hyp2f1_a1, ln_hyp2f1_a1_grad, ln_integrate_line, ln_one_minus_exp,
    ln_sigmoid, log_add_exp, one_minus_exp_ratio, sigmoid,
};
use super::{
    FitInfo, Patterns, PurchaseModel, check_horizon, check_params, check_penalizer, not_converged,
    standard_errors, time_scale, validate_summary, validate_weights,
};
use crate::{Error, Result};

const MODEL: &str = "ParetoNbd";

/// The parameters of the Pareto/NBD model.
///
/// Purchase rates are gamma distributed across customers (shape `r`, scale `alpha`), and so
/// are dropout rates (shape `s`, scale `beta`); both scales are in the data's time unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma distribution of purchase rates (in the data's time unit).
    pub alpha: f64,
    /// Shape of the gamma distribution of dropout rates.
    pub s: f64,
    /// Scale of the gamma distribution of dropout rates (in the data's time unit).
    pub beta: f64,
}

impl ParetoNbdParams {
    /// The parameters by name, in the order `r`, `alpha`, `s`, `beta`.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("r", self.r),
            ("alpha", self.alpha),
            ("s", self.s),
            ("beta", self.beta),
        ]
    }

    fn to_vec(self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }
}

/// The Pareto/NBD model, unfitted: its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// L2 penalty on the parameters (lifetimes' `penalizer_coef`; 0 for none).
    pub penalizer: f64,
}

impl ParetoNbd {
    /// Fits the model to one row per customer: `frequency` (repeat purchases), `recency`
    /// (time of the last purchase since the first) and `age` (`T`). Fails with
    /// [`Error::InvalidData`] on bad input and [`Error::Fit`] when there are no customers, no
    /// repeat purchase at all or the optimizer does not converge.
    pub fn fit(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> Result<FittedParetoNbd> {
        fit(self.penalizer, frequency, recency, age, None)
    }

    /// As [`fit`](Self::fit), each row standing for `weights[i]` identical customers.
    pub fn fit_weighted(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: &[f64],
    ) -> Result<FittedParetoNbd> {
        fit(self.penalizer, frequency, recency, age, Some(weights))
    }
}

/// `ln` of the integral `int_{t_x}^{T} (alpha + tau)^-(r + x) (beta + tau)^-(s + 1) dtau`, the
/// part of the likelihood where the customer dropped out between the last purchase and `T`:
/// `(1 / (r + s + x)) [F(z1) / (m + t_x)^(r+s+x) - F(z2) / (m + T)^(r+s+x)]` with
/// `F = 2F1(r + s + x, b; r + s + x + 1; .)`, `m = max(alpha, beta)`, `b = s + 1` when
/// `alpha >= beta` and `r + x` otherwise, `z = |alpha - beta| / (m + t)` (note 008, A_0).
///
/// `ln_m_tx` and `ln_m_t` are `ln(m + t_x)` and `ln(m + T)`. With `grad`, its gradient with
/// respect to `(r, alpha, s, beta)` is written there.
fn ln_dropout_integral(
    p: &ParetoNbdParams,
    x: f64,
    tx: f64,
    t: f64,
    ln_m_tx: f64,
    ln_m_t: f64,
    grad: Option<&mut [f64; 4]>,
) -> f64 {
    if tx >= t {
        if let Some(g) = grad {
            *g = [0.0; 4];
        }
        return f64::NEG_INFINITY;
    }
    let ParetoNbdParams { r, alpha, s, beta } = *p;
    let a = r + s + x;
    let alpha_ge = alpha >= beta;
    let (m, b) = if alpha_ge {
        (alpha, s + 1.0)
    } else {
        (beta, r + x)
    };
    let d = (alpha - beta).abs();
    let (mtx, mt) = (m + tx, m + t);
    let (z1, z2) = (d / mtx, d / mt);
    let ((f1, f1a, f1b, f1z), (f2, f2a, f2b, f2z)) = if grad.is_some() {
        (ln_hyp2f1_a1_grad(a, b, z1), ln_hyp2f1_a1_grad(a, b, z2))
    } else {
        (
            (ln_hyp2f1_a1(a, b, z1), 0.0, 0.0, 0.0),
            (ln_hyp2f1_a1(a, b, z2), 0.0, 0.0, 0.0),
        )
    };
    let l1 = f1 - a * ln_m_tx;
    // l1 - l2 > 0, computed without subtracting the two large powers.
    let gap = (f1 - f2) + a * ((t - tx) / mtx).ln_1p();
    if gap.is_nan() || gap <= 0.0 {
        if let Some(g) = grad {
            *g = [0.0; 4];
        }
        return f64::NEG_INFINITY;
    }
    if let Some(g) = grad {
        // d over (r, alpha, s, beta) of a, b, m and d.
        let da = [1.0, 0.0, 1.0, 0.0];
        let (db, dm, dd) = if alpha_ge {
            (
                [0.0, 0.0, 1.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, -1.0],
            )
        } else {
            (
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
                [0.0, -1.0, 0.0, 1.0],
            )
        };
        let spread = 1.0 / gap.exp_m1();
        for k in 0..4 {
            let dz1 = (dd[k] - z1 * dm[k]) / mtx;
            let dz2 = (dd[k] - z2 * dm[k]) / mt;
            let dl1 = f1a * da[k] + f1b * db[k] + f1z * dz1 - ln_m_tx * da[k] - a * dm[k] / mtx;
            let dl2 = f2a * da[k] + f2b * db[k] + f2z * dz2 - ln_m_t * da[k] - a * dm[k] / mt;
            g[k] = dl1 + (dl1 - dl2) * spread - da[k] / a;
        }
    }
    l1 + ln_one_minus_exp(gap) - a.ln()
}

/// `max(alpha, beta)`: the base of the powers in the dropout integral.
fn m_of(p: &ParetoNbdParams) -> f64 {
    p.alpha.max(p.beta)
}

/// The two terms of a customer's likelihood after the common factor
/// `G(r + x) alpha^r beta^s / G(r)`: alive at `T` (`ln` of the first) and dropped out before it.
fn ln_terms(p: &ParetoNbdParams, x: f64, tx: f64, t: f64) -> (f64, f64) {
    let m = m_of(p);
    let alive = -(p.r + x) * (p.alpha + t).ln() - p.s * (p.beta + t).ln();
    let dead = p.s.ln() + ln_dropout_integral(p, x, tx, t, (m + tx).ln(), (m + t).ln(), None);
    (alive, dead)
}

fn ll_one(p: &ParetoNbdParams, x: f64, tx: f64, t: f64) -> f64 {
    let (alive, dead) = ln_terms(p, x, tx, t);
    ln_gamma(p.r + x) - ln_gamma(p.r)
        + p.r * p.alpha.ln()
        + p.s * p.beta.ln()
        + log_add_exp(alive, dead)
}

/// The negative mean log-likelihood (plus penalty) in the log-parameters, with its gradient.
struct ParetoObjective<'a> {
    pat: &'a Patterns,
    penalizer: f64,
    /// Per distinct time `tau`: `ln(alpha + tau)`, `ln(beta + tau)`, `ln(m + tau)`.
    ln_at: Vec<f64>,
    ln_bt: Vec<f64>,
    ln_mt: Vec<f64>,
}

impl<'a> ParetoObjective<'a> {
    fn new(pat: &'a Patterns, penalizer: f64) -> Self {
        let n = pat.times.len();
        ParetoObjective {
            pat,
            penalizer,
            ln_at: vec![0.0; n],
            ln_bt: vec![0.0; n],
            ln_mt: vec![0.0; n],
        }
    }
}

impl Objective for ParetoObjective<'_> {
    fn eval(&mut self, th: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if th.iter().any(|v| !v.is_finite() || v.abs() > 60.0) {
            return f64::INFINITY;
        }
        let p = ParetoNbdParams {
            r: th[0].exp(),
            alpha: th[1].exp(),
            s: th[2].exp(),
            beta: th[3].exp(),
        };
        let ParetoNbdParams { r, alpha, s, beta } = p;
        let pat = self.pat;
        let wt = pat.total_w;
        let want = grad.is_some();
        for (j, &tau) in pat.times.iter().enumerate() {
            self.ln_at[j] = (alpha + tau).ln();
            self.ln_bt[j] = (beta + tau).ln();
            self.ln_mt[j] = if alpha >= beta {
                self.ln_at[j]
            } else {
                self.ln_bt[j]
            };
        }
        let (ln_alpha, ln_beta, ln_s) = (alpha.ln(), beta.ln(), s.ln());
        let mut ll = wt * (-ln_gamma(r) + r * ln_alpha + s * ln_beta);
        let mut g = [0.0; 4];
        if want {
            g = [
                wt * (-digamma(r) + ln_alpha),
                wt * r / alpha,
                wt * ln_beta,
                wt * s / beta,
            ];
        }
        for k in 0..pat.ux.len() {
            ll += pat.wx[k] * ln_gamma(r + pat.ux[k]);
            if want {
                g[0] += pat.wx[k] * digamma(r + pat.ux[k]);
            }
        }
        let mut gi = [0.0; 4];
        for i in 0..pat.x.len() {
            let (x, w) = (pat.x[i], pat.w[i]);
            let (jt, jx) = (pat.iage[i], pat.itx[i]);
            let t = pat.age[i];
            let alive = -(r + x) * self.ln_at[jt] - s * self.ln_bt[jt];
            let li = ln_dropout_integral(
                &p,
                x,
                pat.tx[i],
                t,
                self.ln_mt[jx],
                self.ln_mt[jt],
                want.then_some(&mut gi),
            );
            let dead = ln_s + li;
            let both = log_add_exp(alive, dead);
            ll += w * both;
            if want {
                let wa = (alive - both).exp();
                let wd = if li == f64::NEG_INFINITY {
                    0.0
                } else {
                    (dead - both).exp()
                };
                g[0] += w * (-wa * self.ln_at[jt] + wd * gi[0]);
                g[1] += w * (-wa * (r + x) / (alpha + t) + wd * gi[1]);
                g[2] += w * (-wa * self.ln_bt[jt] + wd * (1.0 / s + gi[2]));
                g[3] += w * (-wa * s / (beta + t) + wd * gi[3]);
            }
        }
        let pen = self.penalizer;
        let params = p.to_vec();
        let f = -ll / wt + pen * params.iter().map(|v| v * v).sum::<f64>();
        if let Some(out) = grad {
            for k in 0..4 {
                out[k] = -g[k] * params[k] / wt + 2.0 * pen * params[k] * params[k];
            }
        }
        if f.is_finite() { f } else { f64::INFINITY }
    }

    fn analytic_gradient(&self) -> bool {
        true
    }
}

fn fit(
    penalizer: f64,
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    weights: Option<&[f64]>,
) -> Result<FittedParetoNbd> {
    check_penalizer(penalizer)?;
    validate_summary(frequency, recency, age)?;
    if let Some(w) = weights {
        validate_weights(w, frequency.len())?;
    }
    let fit_err = |message: &str| Error::Fit {
        model: MODEL.to_string(),
        message: message.to_string(),
    };
    let scale = time_scale(age);
    let pat = Patterns::new(frequency, recency, age, weights, scale);
    if pat.total_w <= 0.0 {
        return Err(fit_err("there are no customers to fit"));
    }
    if !pat.x.iter().any(|&x| x > 0.0) {
        return Err(fit_err(
            "no customer has a repeat purchase, so the purchase rate cannot be estimated",
        ));
    }
    if !pat.age.iter().any(|&t| t > 0.0) {
        return Err(fit_err(
            "every customer's age T is 0: there is no observation time",
        ));
    }
    let mut obj = ParetoObjective::new(&pat, penalizer);
    let starts = [
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.5f64.ln(), 2.5f64.ln(), 0.5f64.ln(), 2.5f64.ln()],
        vec![2f64.ln(), 5f64.ln(), 2f64.ln(), 1f64.ln()],
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
    let params = ParetoNbdParams {
        r: th[0].exp(),
        alpha: th[1].exp() / scale,
        s: th[2].exp(),
        beta: th[3].exp() / scale,
    };
    if params.to_vec().iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(not_converged(MODEL, m.grad_norm));
    }
    let mut obj0 = ParetoObjective::new(&pat, 0.0);
    let mut g = vec![0.0; 4];
    // The total log-likelihood in the data's time unit: rescaling time by `scale` multiplies
    // each customer's likelihood by scale^-x.
    let ll_scaled = -pat.total_w * obj0.eval(th, Some(&mut g));
    let sum_x: f64 = pat.x.iter().zip(&pat.w).map(|(x, w)| x * w).sum();
    let log_likelihood = ll_scaled + scale.ln() * sum_x;
    let h: Vec<f64> = optim::hessian(&mut obj0, th)
        .iter()
        .map(|v| v * pat.total_w)
        .collect();
    let g: Vec<f64> = g.iter().map(|v| v * pat.total_w).collect();
    let standard_errors = standard_errors(&params.to_vec(), &h, &g).map(|v| ParetoNbdParams {
        r: v[0],
        alpha: v[1],
        s: v[2],
        beta: v[3],
    });
    let n_customers = weights.map_or(frequency.len(), |w| w.iter().filter(|&&v| v > 0.0).count());
    Ok(FittedParetoNbd {
        params,
        fit: Some(FitInfo {
            log_likelihood,
            n_customers,
            standard_errors,
        }),
    })
}

fn total_ll(
    p: &ParetoNbdParams,
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    weights: Option<&[f64]>,
) -> f64 {
    (0..frequency.len())
        .map(|i| {
            let w = weights.map_or(1.0, |w| w[i]);
            if w > 0.0 {
                w * ll_one(p, frequency[i], recency[i], age[i])
            } else {
                0.0
            }
        })
        .sum()
}

/// A fitted Pareto/NBD model: its parameters, fit statistics and predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParetoNbd {
    params: ParetoNbdParams,
    fit: Option<FitInfo<ParetoNbdParams>>,
}

impl FittedParetoNbd {
    /// A fitted model from known parameters (all finite and positive), for predictions; it
    /// has no log-likelihood, customer count or standard errors.
    pub fn new(params: ParetoNbdParams) -> Result<Self> {
        check_params(MODEL, &params.named())?;
        Ok(FittedParetoNbd { params, fit: None })
    }

    /// The parameters (`alpha` and `beta` in the data's time unit).
    pub fn params(&self) -> ParetoNbdParams {
        self.params
    }

    /// The total Pareto/NBD log-likelihood of the fitted customers at the estimate (in the
    /// data's time unit, summed over customers, weighted), or `None` for a model made with
    /// [`new`](Self::new).
    pub fn log_likelihood(&self) -> Option<f64> {
        self.fit.as_ref().map(|f| f.log_likelihood)
    }

    /// The number of customers (rows with a positive weight) fitted; 0 for a model made with
    /// [`new`](Self::new).
    pub fn n_customers(&self) -> usize {
        self.fit.as_ref().map_or(0, |f| f.n_customers)
    }

    /// The standard errors of the parameters: the square roots of the diagonal of the
    /// inverse Hessian of the negative log-likelihood at the estimate, in the natural
    /// parameters. `None` for a model made with [`new`](Self::new) or when that Hessian is
    /// not positive definite.
    pub fn standard_errors(&self) -> Option<ParetoNbdParams> {
        self.fit.as_ref().and_then(|f| f.standard_errors)
    }

    /// The total log-likelihood of other customers under this model.
    pub fn log_likelihood_of(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<f64> {
        validate_summary(frequency, recency, age)?;
        Ok(total_ll(&self.params, frequency, recency, age, None))
    }

    /// The expected number of repeat purchases in `(0, t]` of a new customer, for each `t`:
    /// `r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)]` (continuous through
    /// `s = 1`).
    pub fn expected_purchases_new(&self, t: &[f64]) -> Result<Vec<f64>> {
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        t.iter()
            .map(|&v| {
                check_horizon("t", v)?;
                Ok(r * beta / alpha * one_minus_exp_ratio(s - 1.0, (v / beta).ln_1p()))
            })
            .collect()
    }

    /// The expected number of purchases of each customer in the next `t` time units given
    /// their history: `P(alive)` times the expectation under the posterior rates
    /// `Gamma(r + x, alpha + T)` and `Gamma(s, beta + T)`.
    pub fn expected_purchases(
        &self,
        t: f64,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>> {
        check_horizon("t", t)?;
        validate_summary(frequency, recency, age)?;
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        Ok((0..frequency.len())
            .map(|i| {
                let (x, tx, big_t) = (frequency[i], recency[i], age[i]);
                if t == 0.0 {
                    return 0.0;
                }
                let alive = self.alive_one(x, tx, big_t);
                alive * (r + x) * (beta + big_t) / (alpha + big_t)
                    * one_minus_exp_ratio(s - 1.0, (t / (beta + big_t)).ln_1p())
            })
            .collect())
    }

    fn alive_one(&self, x: f64, tx: f64, t: f64) -> f64 {
        let (alive, dead) = ln_terms(&self.params, x, tx, t);
        sigmoid(alive - dead)
    }

    /// The probability that each customer is still alive at the end of the observation
    /// period, given their history (note 008 / Schmittlein et al., eq. 11).
    pub fn probability_alive(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>> {
        validate_summary(frequency, recency, age)?;
        Ok((0..frequency.len())
            .map(|i| self.alive_one(frequency[i], recency[i], age[i]))
            .collect())
    }

    /// The probability that a new customer makes exactly `n` repeat purchases in `(0, t]`,
    /// for each `n`: alive throughout (a negative binomial times `(beta / (beta + t))^s`) plus
    /// dropped out at some `tau < t` after `n` purchases, that integral over `tau` computed
    /// numerically (it has no closed form simpler than a sum of hypergeometric functions).
    pub fn probability_of_purchases(&self, n: &[u32], t: f64) -> Result<Vec<f64>> {
        check_horizon("t", t)?;
        Ok(n.iter().map(|&k| self.pmf_one(k, t)).collect())
    }

    fn pmf_one(&self, n: u32, t: f64) -> f64 {
        if t == 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let nf = f64::from(n);
        let ln_coef = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
        let ln_z = if n > 0 {
            nf * (t.ln() - (alpha + t).ln())
        } else {
            0.0
        };
        let alive = (ln_coef - r * (t / alpha).ln_1p() + ln_z - s * (t / beta).ln_1p()).exp();
        // int_0^t s beta^s (beta + tau)^-(s+1) alpha^r tau^n (alpha + tau)^-(r+n) dtau, in
        // y = logit(tau / t).
        let ln_t = t.ln();
        let log_f = |y: f64| {
            let lv = ln_sigmoid(y);
            let lw = ln_sigmoid(-y);
            let tau = t * lv.exp();
            let pow_n = if n > 0 {
                nf * (ln_t + lv - (alpha + tau).ln())
            } else {
                0.0
            };
            ln_coef + s.ln()
                - s * (tau / beta).ln_1p()
                - (beta + tau).ln()
                - r * (tau / alpha).ln_1p()
                + pow_n
                + ln_t
                + lv
                + lw
        };
        let dead = ln_integrate_line(log_f, 0.0).exp();
        (alive + dead).clamp(0.0, 1.0)
    }
}

impl PurchaseModel for FittedParetoNbd {
    fn name(&self) -> &'static str {
        MODEL
    }

    fn expected_purchases(
        &self,
        t: f64,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>> {
        FittedParetoNbd::expected_purchases(self, t, frequency, recency, age)
    }

    fn probability_alive(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<Vec<f64>> {
        FittedParetoNbd::probability_alive(self, frequency, recency, age)
    }

    fn expected_purchases_new(&self, t: &[f64]) -> Result<Vec<f64>> {
        FittedParetoNbd::expected_purchases_new(self, t)
    }
}

#[cfg(test)]
mod tests {
    use super::super::special::hyp2f1_series;
    use super::super::testdata::{Rng, cdnow};
    use super::super::time_scale;
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    /// The estimates of R BTYD's walkthrough on CDNOW, quoted by lifetimes'
    /// test_conditional_probability_alive (page 8 of BTYD-walkthrough.pdf).
    const BTYD: ParetoNbdParams = ParetoNbdParams {
        r: 0.5534,
        alpha: 10.5802,
        s: 0.6061,
        beta: 11.6562,
    };

    #[test]
    fn pareto_nbd_on_cdnow_matches_the_published_estimates() {
        let (f, r, t) = cdnow();
        let m = ParetoNbd::default().fit(&f, &r, &t).unwrap();
        let p = m.params();
        // Published (Fader, Hardie & Lee 2005; tests/data/SOURCES.md): r 0.553, alpha 10.578,
        // s 0.606, beta 11.669, LL -9595.0.
        assert!(rel(p.r, 0.553) < 5e-3, "{p:?}");
        assert!(rel(p.alpha, 10.578) < 5e-3, "{p:?}");
        assert!(rel(p.s, 0.606) < 5e-3, "{p:?}");
        assert!(rel(p.beta, 11.669) < 5e-3, "{p:?}");
        let ll = m.log_likelihood().unwrap();
        assert!((ll - -9595.0).abs() < 0.05, "{ll}");
        let se = m.standard_errors().expect("a regular optimum");
        assert!(
            se.named().iter().all(|(_, v)| v.is_finite() && *v > 0.0),
            "{se:?}"
        );
        assert!((m.log_likelihood_of(&f, &r, &t).unwrap() - ll).abs() < 1e-9);
    }

    #[test]
    fn predictions_match_r_btyd() {
        let m = FittedParetoNbd::new(BTYD).unwrap();
        // P(alive) of x = 26, t_x = 30.86, T = 31: 0.9979 (BTYD walkthrough, page 8).
        let p = m.probability_alive(&[26.0], &[30.86], &[31.0]).unwrap()[0];
        assert!((p - 0.9979).abs() < 1e-4, "{p}");
        // Expected purchases in the next 52 weeks for the same customer: 25.46 (BTYD
        // walkthrough, as quoted by lifetimes'
        // test_conditional_expectation_returns_same_value_as_R_BTYD).
        let e = m
            .expected_purchases(52.0, &[26.0], &[30.86], &[31.0])
            .unwrap()[0];
        assert!((e - 25.46).abs() < 0.01, "{e}");
        // New customers, t = 0..9 weeks (BTYD manual, pnbd.Expectation, at BTYD's own estimate,
        // which is not printed; lifetimes' test_expectation_returns_same_value_as_R_BTYD
        // compares its fitted model with atol 0.01).
        let btyd = [
            0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274,
            0.31335159, 0.35181024, 0.38909211,
        ];
        let (f, r, t) = cdnow();
        let fitted = ParetoNbd::default().fit(&f, &r, &t).unwrap();
        let got = fitted
            .expected_purchases_new(&(0..10).map(f64::from).collect::<Vec<_>>())
            .unwrap();
        for (g, b) in got.iter().zip(btyd) {
            assert!((g - b).abs() < 3e-3, "{got:?}");
        }
    }

    #[test]
    fn probability_alive_and_expectations_are_sane() {
        let m = FittedParetoNbd::new(BTYD).unwrap();
        for x in (0..100).step_by(10) {
            for tx in (0..100).step_by(10) {
                for t in (tx..100).step_by(10) {
                    let (x, tx, t) = (f64::from(x), f64::from(tx), f64::from(t));
                    let tx = if x == 0.0 { 0.0 } else { tx };
                    let p = m.probability_alive(&[x], &[tx], &[t]).unwrap()[0];
                    assert!((0.0..=1.0).contains(&p), "{x} {tx} {t}: {p}");
                }
            }
        }
        // lifetimes' test_conditional_expectation_underflow: x 132 vs 133, t_x = T = 200, t 10
        // (6.206 and 6.253 there) with params (r 0.55, alpha 10.58, s 0.61, beta 11.67).
        let u = FittedParetoNbd::new(ParetoNbdParams {
            r: 0.55,
            alpha: 10.58,
            s: 0.61,
            beta: 11.67,
        })
        .unwrap();
        let e = u
            .expected_purchases(10.0, &[132.0, 133.0], &[200.0, 200.0], &[200.0, 200.0])
            .unwrap();
        assert!(
            (e[0] - 6.206_051_788_963_242).abs() < 1e-6
                && (e[1] - 6.252_872_247_574_811).abs() < 1e-6,
            "{e:?}"
        );
        // lifetimes' test_conditional_probability_alive_overflow_error and test_overflow_error.
        let o = FittedParetoNbd::new(ParetoNbdParams {
            r: 10.465,
            alpha: 7.98565181e-03,
            s: 3.0516,
            beta: 2.820,
        })
        .unwrap();
        for x in [40.0, 50.0, 400.0, 500.0] {
            let p = o
                .probability_alive(&[x, x, x], &[5.0, 1.0, 4.0], &[6.0, 37.0, 37.0])
                .unwrap();
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
            assert!(
                o.log_likelihood_of(&[x], &[5.0], &[6.0])
                    .unwrap()
                    .is_finite()
            );
        }
    }

    #[test]
    fn likelihood_agrees_with_a_direct_evaluation() {
        // Note 008 with scipy-style direct series for the hypergeometric functions.
        for &p in &[
            BTYD,
            ParetoNbdParams {
                r: 1.3,
                alpha: 3.0,
                s: 0.8,
                beta: 9.0,
            },
            ParetoNbdParams {
                r: 0.4,
                alpha: 20.0,
                s: 2.0,
                beta: 5.0,
            },
        ] {
            for &(x, tx, t) in &[
                (0.0, 0.0, 30.0),
                (2.0, 30.43, 38.86),
                (7.0, 29.43, 38.86),
                (1.0, 1.71, 38.86),
                (26.0, 30.86, 31.0),
            ] {
                let ParetoNbdParams { r, alpha, s, beta } = p;
                let (m, b) = if alpha >= beta {
                    (alpha, s + 1.0)
                } else {
                    (beta, r + x)
                };
                let a = r + s + x;
                let d = (alpha - beta).abs();
                let f1 = hyp2f1_series(a, b, a + 1.0, d / (m + tx), 100_000).unwrap();
                let f2 = hyp2f1_series(a, b, a + 1.0, d / (m + t), 100_000).unwrap();
                let a0 = f1 / (m + tx).powf(a) - f2 / (m + t).powf(a);
                let lik = ln_gamma(r + x).exp() * alpha.powf(r) * beta.powf(s) / ln_gamma(r).exp()
                    * (1.0 / ((alpha + t).powf(r + x) * (beta + t).powf(s)) + s / a * a0);
                let got = ll_one(&p, x, tx, t);
                assert!(
                    (got - lik.ln()).abs() < 1e-10,
                    "{p:?} {x} {tx} {t}: {got} vs {}",
                    lik.ln()
                );
            }
        }
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let (f, r, t) = cdnow();
        let pat = Patterns::new(&f, &r, &t, None, time_scale(&t));
        let mut obj = ParetoObjective::new(&pat, 0.05);
        // alpha > beta, alpha < beta, alpha = beta, and far apart (the continued fraction).
        for th in [
            [-0.6, 1.0, -0.5, 0.2],
            [-0.6, 0.2, -0.5, 1.0],
            [0.1, 0.5, 0.3, 0.5],
            [0.3, -4.0, -0.2, 3.0],
            [0.3, 4.0, -0.2, -3.0],
        ] {
            let mut g = [0.0; 4];
            obj.eval(&th, Some(&mut g));
            let mut num = [0.0; 4];
            optim::central_gradient(&mut |x| obj.eval(x, None), &th, &mut num);
            for i in 0..4 {
                assert!(
                    (g[i] - num[i]).abs() < 1e-6 * (1.0 + g[i].abs()),
                    "{th:?} {i}: {g:?} vs {num:?}"
                );
            }
        }
    }

    #[test]
    fn pmf_sums_to_one_with_the_expectation_as_mean() {
        let m = FittedParetoNbd::new(BTYD).unwrap();
        for t in [0.5, 10.0, 39.0, 200.0] {
            let pmf = m
                .probability_of_purchases(&(0..3000).collect::<Vec<_>>(), t)
                .unwrap();
            let total: f64 = pmf.iter().sum();
            let mean: f64 = pmf.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-8, "t {t}: {total}");
            let e = m.expected_purchases_new(&[t]).unwrap()[0];
            assert!(rel(mean, e) < 1e-5, "t {t}: {mean} vs {e}");
        }
        assert_eq!(
            m.probability_of_purchases(&[0, 3], 0.0).unwrap(),
            vec![1.0, 0.0]
        );
    }

    #[test]
    fn extreme_histories_stay_finite() {
        let fitted = [
            FittedParetoNbd::new(BTYD).unwrap(),
            FittedParetoNbd::new(ParetoNbdParams {
                r: 0.5,
                alpha: 1e-3,
                s: 0.7,
                beta: 1e3,
            })
            .unwrap(),
            FittedParetoNbd::new(ParetoNbdParams {
                r: 0.5,
                alpha: 1e3,
                s: 1.0,
                beta: 1e-3,
            })
            .unwrap(),
        ];
        let cases: &[(f64, f64, f64)] = &[
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 1e-6),
            (0.0, 0.0, 1e6),
            (1.0, 1e-6, 1e-6),
            (3.0, 5e-7, 1e-6),
            (500.0, 1e6, 1e6),
            (5000.0, 10.0, 1e6),
            (1000.0, 38.0, 38.86),
            (2000.0, 1e-6, 1e-6),
            (1e6, 50.0, 52.0),
        ];
        for m in &fitted {
            for &(x, tx, t) in cases {
                for h in [0.0, 1e-6, 1.0, 52.0, 1e6] {
                    let e = m.expected_purchases(h, &[x], &[tx], &[t]).unwrap()[0];
                    assert!(
                        e.is_finite() && e >= 0.0,
                        "{:?} x {x} tx {tx} T {t} h {h}: {e}",
                        m.params()
                    );
                }
                let p = m.probability_alive(&[x], &[tx], &[t]).unwrap()[0];
                assert!((0.0..=1.0).contains(&p), "{p}");
                assert!(
                    m.log_likelihood_of(&[x], &[tx], &[t]).unwrap().is_finite(),
                    "{:?} {x} {tx} {t}",
                    m.params()
                );
            }
            let e = m.expected_purchases_new(&[1e-6, 1.0, 1e6]).unwrap();
            assert!(e.iter().all(|v| v.is_finite()));
            let pm = m.probability_of_purchases(&[0, 1, 50], 1e4).unwrap();
            assert!(
                pm.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                "{pm:?}"
            );
        }
        // P(alive) falls with the time since the last purchase.
        let m = &fitted[0];
        let p = m
            .probability_alive(&[5.0; 4], &[39.0, 30.0, 10.0, 1.0], &[39.0; 4])
            .unwrap();
        assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
    }

    #[test]
    fn fit_recovers_simulated_parameters() {
        let truth = ParetoNbdParams {
            r: 0.8,
            alpha: 6.0,
            s: 0.9,
            beta: 12.0,
        };
        let mut rng = Rng(2024);
        let (mut f, mut r, mut t) = (vec![], vec![], vec![]);
        for _ in 0..20_000 {
            let age = 20.0 + 20.0 * rng.uniform();
            let lambda = rng.gamma(truth.r) / truth.alpha;
            let mu = rng.gamma(truth.s) / truth.beta;
            let life = rng.exponential(mu).min(age);
            let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
            loop {
                now += rng.exponential(lambda);
                if now > life {
                    break;
                }
                x += 1.0;
                last = now;
            }
            f.push(x);
            r.push(last);
            t.push(age);
        }
        let m = ParetoNbd::default().fit(&f, &r, &t).unwrap();
        let se = m.standard_errors().unwrap();
        for ((name, e), ((_, s), (_, tr))) in m
            .params()
            .named()
            .into_iter()
            .zip(se.named().into_iter().zip(truth.named()))
        {
            assert!((e - tr).abs() < 4.0 * s, "{name}: {e} vs {tr} (se {s})");
        }
    }

    #[test]
    fn fits_do_not_depend_on_the_time_unit_and_survive_odd_data() {
        let (f, r, t) = cdnow();
        let weeks = ParetoNbd::default().fit(&f, &r, &t).unwrap().params();
        for c in [7.0, 1e-6, 1e6] {
            let rs: Vec<f64> = r.iter().map(|v| v * c).collect();
            let ts: Vec<f64> = t.iter().map(|v| v * c).collect();
            let p = ParetoNbd::default().fit(&f, &rs, &ts).unwrap().params();
            assert!(
                rel(p.r, weeks.r) < 1e-4 && rel(p.s, weeks.s) < 1e-4,
                "{c}: {p:?}"
            );
            assert!(
                rel(p.alpha, weeks.alpha * c) < 1e-4 && rel(p.beta, weeks.beta * c) < 1e-4,
                "{c}: {p:?}"
            );
        }
        for n in [1, 2, 3, 5, 10, 40] {
            for penalizer in [0.0, 0.01, 1.0] {
                match (ParetoNbd { penalizer }).fit(&f[..n], &r[..n], &t[..n]) {
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
        let mut f2 = f.clone();
        let mut r2 = r.clone();
        let mut t2 = t.clone();
        f2.extend([3000.0, 1500.0, 0.0, 2.0, 800.0]);
        r2.extend([38.0, 20.0, 0.0, 1e-6, 38.5]);
        t2.extend([38.5, 38.5, 1e-6, 1e-6, 38.5]);
        let p = ParetoNbd::default().fit(&f2, &r2, &t2).unwrap().params();
        assert!(
            p.named().iter().all(|(_, v)| v.is_finite() && *v > 0.0),
            "{p:?}"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let pn = ParetoNbd::default();
        assert!(matches!(
            pn.fit(&[1.0], &[1.0, 2.0], &[3.0]),
            Err(Error::InvalidData { .. })
        ));
        assert!(matches!(
            pn.fit(&[1.0], &[4.0], &[3.0]),
            Err(Error::InvalidData { row: Some(0), .. })
        ));
        assert!(matches!(pn.fit(&[], &[], &[]), Err(Error::Fit { .. })));
        assert!(matches!(
            pn.fit(&[0.0], &[0.0], &[3.0]),
            Err(Error::Fit { .. })
        ));
        assert!(matches!(
            ParetoNbd { penalizer: -0.1 }.fit(&[1.0], &[1.0], &[3.0]),
            Err(Error::InvalidArgument {
                name: "penalizer",
                ..
            })
        ));
        let m = FittedParetoNbd::new(BTYD).unwrap();
        assert!(matches!(
            m.expected_purchases(-1.0, &[1.0], &[1.0], &[2.0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            m.probability_alive(&[1.0], &[f64::NAN], &[2.0]),
            Err(Error::InvalidData { .. })
        ));
        assert!(FittedParetoNbd::new(ParetoNbdParams { s: 0.0, ..BTYD }).is_err());
    }
}
