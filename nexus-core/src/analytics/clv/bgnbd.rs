//! The BG/NBD model (Fader, Hardie & Lee 2005) and its MBG/NBD variant (Batislam, Denizel &
//! Filiztekin 2007; Wagner & Hoppe 2008), which share everything but where a customer may
//! drop out: after each repeat purchase (BG/NBD), or also at the first purchase (MBG/NBD).

use serde::{Deserialize, Serialize};

use super::optim::{self, BfgsOptions, Objective};
use super::special::{
    beta_inc, digamma, hyp2f1_series, ln_beta, ln_gamma, ln_integrate_line, ln_sigmoid,
    log_add_exp, sigmoid,
};
use super::{
    FitInfo, Patterns, PurchaseModel, check_horizon, check_params, check_penalizer, not_converged,
    standard_errors, time_scale, validate_summary, validate_weights,
};
use crate::{Error, Result};

/// The parameters of the BG/NBD and MBG/NBD models.
///
/// Purchase rates are gamma distributed across customers (shape `r`, scale `alpha`, in the
/// data's time unit: the mean rate is `r / alpha`); the probability of dropping out at a
/// purchase is beta distributed (`a`, `b`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BetaGeoParams {
    /// Shape of the gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma distribution of purchase rates (in the data's time unit).
    pub alpha: f64,
    /// First shape parameter of the beta distribution of the dropout probability.
    pub a: f64,
    /// Second shape parameter of the beta distribution of the dropout probability.
    pub b: f64,
}

impl BetaGeoParams {
    /// The parameters by name, in the order `r`, `alpha`, `a`, `b`.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("r", self.r),
            ("alpha", self.alpha),
            ("a", self.a),
            ("b", self.b),
        ]
    }

    fn to_vec(self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    fn from_slice(v: &[f64]) -> Self {
        BetaGeoParams {
            r: v[0],
            alpha: v[1],
            a: v[2],
            b: v[3],
        }
    }
}

/// The BG/NBD model, unfitted: its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BetaGeo {
    /// L2 penalty on the parameters (lifetimes' `penalizer_coef`; 0 for none).
    pub penalizer: f64,
}

/// The MBG/NBD model, unfitted: its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ModifiedBetaGeo {
    /// L2 penalty on the parameters (lifetimes' `penalizer_coef`; 0 for none).
    pub penalizer: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Bg,
    Mbg,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Bg => "BetaGeo",
            Variant::Mbg => "ModifiedBetaGeo",
        }
    }
}

impl BetaGeo {
    /// Fits the model to one row per customer: `frequency` (repeat purchases), `recency`
    /// (time of the last purchase since the first) and `age` (`T`, time since the first
    /// purchase). Fails with [`Error::InvalidData`] on bad input and [`Error::Fit`] when there
    /// are no customers, no repeat purchase at all or the optimizer does not converge.
    pub fn fit(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> Result<FittedBetaGeo> {
        let (params, info) = fit(Variant::Bg, self.penalizer, frequency, recency, age, None)?;
        Ok(FittedBetaGeo {
            params,
            fit: Some(info),
        })
    }

    /// As [`fit`](Self::fit), each row standing for `weights[i]` identical customers.
    pub fn fit_weighted(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: &[f64],
    ) -> Result<FittedBetaGeo> {
        let (params, info) = fit(
            Variant::Bg,
            self.penalizer,
            frequency,
            recency,
            age,
            Some(weights),
        )?;
        Ok(FittedBetaGeo {
            params,
            fit: Some(info),
        })
    }
}

impl ModifiedBetaGeo {
    /// Fits the model; the arguments and errors are those of [`BetaGeo::fit`].
    pub fn fit(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
    ) -> Result<FittedModifiedBetaGeo> {
        let (params, info) = fit(Variant::Mbg, self.penalizer, frequency, recency, age, None)?;
        Ok(FittedModifiedBetaGeo {
            params,
            fit: Some(info),
        })
    }

    /// As [`fit`](Self::fit), each row standing for `weights[i]` identical customers.
    pub fn fit_weighted(
        &self,
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        weights: &[f64],
    ) -> Result<FittedModifiedBetaGeo> {
        let (params, info) = fit(
            Variant::Mbg,
            self.penalizer,
            frequency,
            recency,
            age,
            Some(weights),
        )?;
        Ok(FittedModifiedBetaGeo {
            params,
            fit: Some(info),
        })
    }
}

/// The negative mean log-likelihood (plus penalty) in the log-parameters, with its gradient.
struct BgObjective<'a> {
    pat: &'a Patterns,
    variant: Variant,
    penalizer: f64,
    /// Per distinct frequency: `ln(b + x - 1)` (BG/NBD, x > 0) or `ln(b + x)` (MBG/NBD).
    ln_bx: Vec<f64>,
    /// Per distinct frequency: the inverse of the same.
    inv_bx: Vec<f64>,
    /// Per distinct time `tau`: `ln(alpha + tau)` and `1 / (alpha + tau)`.
    ln_at: Vec<f64>,
    inv_at: Vec<f64>,
}

impl<'a> BgObjective<'a> {
    fn new(pat: &'a Patterns, variant: Variant, penalizer: f64) -> Self {
        let (nu, nt) = (pat.ux.len(), pat.times.len());
        BgObjective {
            pat,
            variant,
            penalizer,
            ln_bx: vec![0.0; nu],
            inv_bx: vec![0.0; nu],
            ln_at: vec![0.0; nt],
            inv_at: vec![0.0; nt],
        }
    }
}

impl Objective for BgObjective<'_> {
    fn eval(&mut self, th: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if th.iter().any(|v| !v.is_finite() || v.abs() > 60.0) {
            return f64::INFINITY;
        }
        let (r, alpha, a, b) = (th[0].exp(), th[1].exp(), th[2].exp(), th[3].exp());
        let p = self.pat;
        let wt = p.total_w;
        let want = grad.is_some();
        let shift = if self.variant == Variant::Mbg {
            1.0
        } else {
            0.0
        };
        let ln_alpha = alpha.ln();
        let mut ll = wt * (-ln_gamma(r) + r * ln_alpha + ln_gamma(a + b) - ln_gamma(b));
        let (mut gr, mut gal, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0);
        if want {
            let dab = digamma(a + b);
            gr = wt * (-digamma(r) + ln_alpha);
            gal = wt * r / alpha;
            ga = wt * dab;
            gb = wt * (dab - digamma(b));
        }
        for k in 0..p.ux.len() {
            let u = p.ux[k];
            let wk = p.wx[k];
            ll += wk * (ln_gamma(r + u) + ln_gamma(b + u + shift) - ln_gamma(a + b + u + shift));
            if want {
                let dabu = digamma(a + b + u + shift);
                gr += wk * digamma(r + u);
                gb += wk * (digamma(b + u + shift) - dabu);
                ga -= wk * dabu;
            }
            let bx = match self.variant {
                Variant::Bg if u > 0.0 => b + u - 1.0,
                Variant::Bg => 1.0,
                Variant::Mbg => b + u,
            };
            self.ln_bx[k] = bx.ln();
            self.inv_bx[k] = 1.0 / bx;
        }
        for (j, &tau) in p.times.iter().enumerate() {
            let at = alpha + tau;
            self.ln_at[j] = at.ln();
            self.inv_at[j] = 1.0 / at;
        }
        let ln_a = a.ln();
        for i in 0..p.x.len() {
            let (x, w, k) = (p.x[i], p.w[i], p.xi[i]);
            let (jt, jx) = (p.iage[i], p.itx[i]);
            let rx = r + x;
            let lt = self.ln_at[jt];
            match self.variant {
                Variant::Bg => {
                    let a3 = -rx * lt;
                    if x > 0.0 {
                        let ltx = self.ln_at[jx];
                        let a4 = ln_a - self.ln_bx[k] - rx * ltx;
                        // log-sum-exp and both weights from one exponential.
                        let e = (-(a3 - a4).abs()).exp();
                        ll += w * (a3.max(a4) + e.ln_1p());
                        if want {
                            let big = 1.0 / (1.0 + e);
                            let (w3, w4) = if a3 >= a4 {
                                (big, e * big)
                            } else {
                                (e * big, big)
                            };
                            gr -= w * (w3 * lt + w4 * ltx);
                            gal -= w * rx * (w3 * self.inv_at[jt] + w4 * self.inv_at[jx]);
                            ga += w * w4 / a;
                            gb -= w * w4 * self.inv_bx[k];
                        }
                    } else {
                        ll += w * a3;
                        if want {
                            gr -= w * lt;
                            gal -= w * rx * self.inv_at[jt];
                        }
                    }
                }
                Variant::Mbg => {
                    let d = lt - self.ln_at[jx];
                    let a4 = ln_a - self.ln_bx[k] + rx * d;
                    ll += w * (-rx * lt + log_add_exp(a4, 0.0));
                    if want {
                        let w4 = sigmoid(a4);
                        let (it, itx) = (self.inv_at[jt], self.inv_at[jx]);
                        gr += w * (-lt + w4 * d);
                        gal += w * (-rx * it + w4 * rx * (it - itx));
                        ga += w * w4 / a;
                        gb -= w * w4 * self.inv_bx[k];
                    }
                }
            }
        }
        let pen = self.penalizer;
        let f = -ll / wt + pen * (r * r + alpha * alpha + a * a + b * b);
        if let Some(g) = grad {
            g[0] = -gr * r / wt + 2.0 * pen * r * r;
            g[1] = -gal * alpha / wt + 2.0 * pen * alpha * alpha;
            g[2] = -ga * a / wt + 2.0 * pen * a * a;
            g[3] = -gb * b / wt + 2.0 * pen * b * b;
        }
        if f.is_finite() { f } else { f64::INFINITY }
    }

    fn analytic_gradient(&self) -> bool {
        true
    }
}

/// One customer's log-likelihood, evaluated directly.
fn ll_one(variant: Variant, p: &BetaGeoParams, x: f64, tx: f64, t: f64) -> f64 {
    let BetaGeoParams { r, alpha, a, b } = *p;
    let rx = r + x;
    let common = ln_gamma(rx) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
    match variant {
        Variant::Bg => {
            let a3 = -rx * (alpha + t).ln();
            let tail = if x > 0.0 {
                log_add_exp(a3, a.ln() - (b + x - 1.0).ln() - rx * (alpha + tx).ln())
            } else {
                a3
            };
            common + ln_gamma(b + x) - ln_gamma(a + b + x) + tail
        }
        Variant::Mbg => {
            let a4 = a.ln() - (b + x).ln() + rx * ((t - tx) / (alpha + tx)).ln_1p();
            common + ln_gamma(b + x + 1.0) - ln_gamma(a + b + x + 1.0) - rx * (alpha + t).ln()
                + log_add_exp(a4, 0.0)
        }
    }
}

fn fit(
    variant: Variant,
    penalizer: f64,
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    weights: Option<&[f64]>,
) -> Result<(BetaGeoParams, FitInfo<BetaGeoParams>)> {
    check_penalizer(penalizer)?;
    validate_summary(frequency, recency, age)?;
    if let Some(w) = weights {
        validate_weights(w, frequency.len())?;
    }
    let model = variant.name();
    let fit_err = |message: &str| Error::Fit {
        model: model.to_string(),
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
    let mut obj = BgObjective::new(&pat, variant, penalizer);
    let starts = [
        vec![0.0, 0.0, 0.0, 0.0],
        vec![0.25f64.ln(), 0.0, 0.8f64.ln(), 2.5f64.ln()],
        vec![2f64.ln(), 5f64.ln(), 0.5f64.ln(), 5f64.ln()],
    ];
    let opts = BfgsOptions {
        gtol: 1e-8,
        max_step: 3.0,
        max_iter: 500,
    };
    let m = optim::minimize(&mut obj, &starts, &opts);
    if !m.converged || !m.f.is_finite() {
        return Err(not_converged(model, m.grad_norm));
    }
    let th = &m.x;
    let params = BetaGeoParams {
        r: th[0].exp(),
        alpha: th[1].exp() / scale,
        a: th[2].exp(),
        b: th[3].exp(),
    };
    if params.to_vec().iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(not_converged(model, m.grad_norm));
    }
    // Standard errors from the unpenalized total negative log-likelihood (the Hessian in the
    // log-parameters does not depend on the time scale).
    let mut obj0 = BgObjective::new(&pat, variant, 0.0);
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
    let se = standard_errors(&params.to_vec(), &h, &g).map(|v| BetaGeoParams::from_slice(&v));
    let n_customers = match weights {
        Some(w) => w.iter().filter(|&&v| v > 0.0).count(),
        None => frequency.len(),
    };
    Ok((
        params,
        FitInfo {
            log_likelihood,
            n_customers,
            standard_errors: se,
        },
    ))
}

fn total_ll(
    variant: Variant,
    p: &BetaGeoParams,
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    weights: Option<&[f64]>,
) -> f64 {
    (0..frequency.len())
        .map(|i| {
            let w = weights.map_or(1.0, |w| w[i]);
            if w > 0.0 {
                w * ll_one(variant, p, frequency[i], recency[i], age[i])
            } else {
                0.0
            }
        })
        .sum()
}

/// `E_p[(1 - (1 + k p)^-r) / p]` for `p ~ Beta(a, b)`: the expected number of purchases in a
/// period of length `t = k alpha` of a BG/NBD customer alive at its start whose purchase rate
/// is Gamma(r, alpha) and dropout probability Beta(a, b).
///
/// Closed form: `(a + b - 1) / (a - 1) [1 - (1 + k)^-r 2F1(r, b; a + b - 1; k / (1 + k))]`.
/// That is summed directly when it is safe (moderate argument, no near-cancellation, `a` not
/// near 1, no pole at `a + b <= 1`); otherwise the expectation is integrated over the logit
/// of `p`, where the integrand is smooth and unimodal and decays exponentially.
pub(crate) fn bg_expected(k: f64, r: f64, a: f64, b: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    if let Some(v) = bg_expected_series(k, r, a, b) {
        return v;
    }
    bg_expected_integral(k, r, a, b)
}

fn bg_expected_series(k: f64, r: f64, a: f64, b: f64) -> Option<f64> {
    let c = a + b - 1.0;
    if c < 0.5 || (a - 1.0).abs() < 1e-3 {
        return None;
    }
    let z = k / (1.0 + k);
    let ln_1mz = -k.ln_1p();
    if z > 0.9 || r * -ln_1mz > 500.0 {
        return None;
    }
    let f = hyp2f1_series(r, b, c, z, 4000)?;
    // The sum carries a relative error of about 1e-14; keep the cancellation in 1 - v below
    // 1e4 so the result is good to 1e-10.
    let v = (r * ln_1mz).exp() * f;
    let bracket = 1.0 - v;
    let out = c / (a - 1.0) * bracket;
    (bracket.abs() >= 1e-4 * v.max(1.0) && out > 0.0 && out.is_finite()).then_some(out)
}

fn bg_expected_integral(k: f64, r: f64, a: f64, b: f64) -> f64 {
    let lnb = ln_beta(a, b);
    // In y = logit(p): Beta(a, b) dp = p^a (1 - p)^b / B(a, b) dy, times (1 - (1 + kp)^-r) / p.
    let log_f = |y: f64| {
        let lp = ln_sigmoid(y);
        let lq = ln_sigmoid(-y);
        let kp = k * lp.exp();
        let psi = -(-r * kp.ln_1p()).exp_m1();
        (a - 1.0) * lp + b * lq + psi.ln() - lnb
    };
    ln_integrate_line(log_f, (a / b).ln()).exp()
}

/// The probability of alive and the conditional expectation share the odds
/// `ln(P(dead) / P(alive))`.
fn ln_odds_dead(variant: Variant, p: &BetaGeoParams, x: f64, tx: f64, t: f64) -> f64 {
    let BetaGeoParams { r, alpha, a, b } = *p;
    let growth = (r + x) * ((t - tx) / (alpha + tx)).ln_1p();
    match variant {
        Variant::Bg if x == 0.0 => f64::NEG_INFINITY,
        Variant::Bg => a.ln() - (b + x - 1.0).ln() + growth,
        Variant::Mbg => a.ln() - (b + x).ln() + growth,
    }
}

fn p_alive(variant: Variant, p: &BetaGeoParams, x: f64, tx: f64, t: f64) -> f64 {
    sigmoid(-ln_odds_dead(variant, p, x, tx, t))
}

fn conditional_expected(
    variant: Variant,
    p: &BetaGeoParams,
    horizon: f64,
    x: f64,
    tx: f64,
    t: f64,
) -> f64 {
    if horizon == 0.0 {
        return 0.0;
    }
    let alive = p_alive(variant, p, x, tx, t);
    if alive == 0.0 {
        return 0.0;
    }
    // Given alive at T: rate ~ Gamma(r + x, alpha + T), dropout ~ Beta(a, b + x) for the BG/NBD
    // (b + x + 1 for the MBG/NBD, which also survived the first purchase).
    let b_post = match variant {
        Variant::Bg => p.b + x,
        Variant::Mbg => p.b + x + 1.0,
    };
    alive * bg_expected(horizon / (p.alpha + t), p.r + x, p.a, b_post)
}

fn new_expected(variant: Variant, p: &BetaGeoParams, t: f64) -> f64 {
    let k = t / p.alpha;
    match variant {
        Variant::Bg => bg_expected(k, p.r, p.a, p.b),
        // Alive after the first purchase with probability b / (a + b), then Beta(a, b + 1).
        Variant::Mbg => p.b / (p.a + p.b) * bg_expected(k, p.r, p.a, p.b + 1.0),
    }
}

/// P(X(t) = n) for a new customer (Fader, Hardie & Lee 2005, eq. 8; lifetimes' MBG/NBD form).
fn pmf(variant: Variant, p: &BetaGeoParams, n: u32, t: f64) -> f64 {
    if t == 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let BetaGeoParams { r, alpha, a, b } = *p;
    let nf = f64::from(n);
    let lb = ln_beta(a, b);
    let ln_q = -(t / alpha).ln_1p(); // ln(alpha / (alpha + t))
    let ln_z = if n > 0 {
        nf * (t.ln() - (alpha + t).ln())
    } else {
        0.0
    };
    let ln_nb = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0) + r * ln_q + ln_z;
    let z = t / (alpha + t);
    let zc = alpha / (alpha + t);
    let out = match variant {
        Variant::Bg => {
            let first = (ln_beta(a, b + nf) - lb + ln_nb).exp();
            let second = if n > 0 {
                (ln_beta(a + 1.0, b + nf - 1.0) - lb).exp() * beta_inc(nf, r, z, zc)
            } else {
                0.0
            };
            first + second
        }
        Variant::Mbg => {
            let first = (ln_beta(a, b + nf + 1.0) - lb + ln_nb).exp();
            let tail = if n > 0 { beta_inc(nf, r, z, zc) } else { 1.0 };
            first + (ln_beta(a + 1.0, b + nf) - lb).exp() * tail
        }
    };
    out.clamp(0.0, 1.0)
}

fn check_customers(frequency: &[f64], recency: &[f64], age: &[f64]) -> Result<()> {
    validate_summary(frequency, recency, age)
}

macro_rules! fitted_bg_methods {
    ($ty:ident, $variant:expr) => {
        impl $ty {
            /// A fitted model from known parameters (all finite and positive), for
            /// predictions; it has no log-likelihood, customer count or standard errors.
            pub fn new(params: BetaGeoParams) -> Result<Self> {
                check_params($variant.name(), &params.named())?;
                Ok($ty { params, fit: None })
            }

            /// The parameters (`alpha` in the data's time unit).
            pub fn params(&self) -> BetaGeoParams {
                self.params
            }

            /// The total log-likelihood of the fitted customers at the estimate (in the data's
            /// time unit, summed over customers, weighted), or `None` for a model made with
            /// [`new`](Self::new).
            pub fn log_likelihood(&self) -> Option<f64> {
                self.fit.as_ref().map(|f| f.log_likelihood)
            }

            /// The number of customers (rows with a positive weight) fitted; 0 for a model
            /// made with [`new`](Self::new).
            pub fn n_customers(&self) -> usize {
                self.fit.as_ref().map_or(0, |f| f.n_customers)
            }

            /// The standard errors of the parameters: the square roots of the diagonal of
            /// the inverse Hessian of the negative log-likelihood at the estimate, in the
            /// natural parameters. `None` for a model made with [`new`](Self::new) or when
            /// that Hessian is not positive definite (an estimate on the boundary).
            pub fn standard_errors(&self) -> Option<BetaGeoParams> {
                self.fit.as_ref().and_then(|f| f.standard_errors)
            }

            /// The total log-likelihood of other customers under this model.
            pub fn log_likelihood_of(
                &self,
                frequency: &[f64],
                recency: &[f64],
                age: &[f64],
            ) -> Result<f64> {
                check_customers(frequency, recency, age)?;
                Ok(total_ll(
                    $variant,
                    &self.params,
                    frequency,
                    recency,
                    age,
                    None,
                ))
            }

            /// The expected number of repeat purchases in `(0, t]` of a new customer, for each
            /// `t` (which must be finite and not negative).
            pub fn expected_purchases_new(&self, t: &[f64]) -> Result<Vec<f64>> {
                t.iter()
                    .map(|&v| {
                        check_horizon("t", v)?;
                        Ok(new_expected($variant, &self.params, v))
                    })
                    .collect()
            }

            /// The expected number of purchases of each customer in the next `t` time units
            /// given their history (frequency, recency, age `T`).
            pub fn expected_purchases(
                &self,
                t: f64,
                frequency: &[f64],
                recency: &[f64],
                age: &[f64],
            ) -> Result<Vec<f64>> {
                check_horizon("t", t)?;
                check_customers(frequency, recency, age)?;
                let p = &self.params;
                Ok((0..frequency.len())
                    .map(|i| conditional_expected($variant, p, t, frequency[i], recency[i], age[i]))
                    .collect())
            }

            /// The probability that each customer is still alive at the end of the
            /// observation period, given their history.
            pub fn probability_alive(
                &self,
                frequency: &[f64],
                recency: &[f64],
                age: &[f64],
            ) -> Result<Vec<f64>> {
                check_customers(frequency, recency, age)?;
                let p = &self.params;
                Ok((0..frequency.len())
                    .map(|i| p_alive($variant, p, frequency[i], recency[i], age[i]))
                    .collect())
            }

            /// The probability that a new customer makes exactly `n` repeat purchases in
            /// `(0, t]`, for each `n`.
            pub fn probability_of_purchases(&self, n: &[u32], t: f64) -> Result<Vec<f64>> {
                check_horizon("t", t)?;
                Ok(n.iter()
                    .map(|&k| pmf($variant, &self.params, k, t))
                    .collect())
            }
        }

        impl PurchaseModel for $ty {
            fn name(&self) -> &'static str {
                $variant.name()
            }

            fn expected_purchases(
                &self,
                t: f64,
                frequency: &[f64],
                recency: &[f64],
                age: &[f64],
            ) -> Result<Vec<f64>> {
                $ty::expected_purchases(self, t, frequency, recency, age)
            }

            fn probability_alive(
                &self,
                frequency: &[f64],
                recency: &[f64],
                age: &[f64],
            ) -> Result<Vec<f64>> {
                $ty::probability_alive(self, frequency, recency, age)
            }

            fn expected_purchases_new(&self, t: &[f64]) -> Result<Vec<f64>> {
                $ty::expected_purchases_new(self, t)
            }
        }
    };
}

/// A fitted BG/NBD model: its parameters, fit statistics and predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedBetaGeo {
    params: BetaGeoParams,
    fit: Option<FitInfo<BetaGeoParams>>,
}

/// A fitted MBG/NBD model: its parameters, fit statistics and predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedModifiedBetaGeo {
    params: BetaGeoParams,
    fit: Option<FitInfo<BetaGeoParams>>,
}

fitted_bg_methods!(FittedBetaGeo, Variant::Bg);
fitted_bg_methods!(FittedModifiedBetaGeo, Variant::Mbg);

#[cfg(test)]
mod tests {
    use super::super::testdata::{Rng, cdnow};
    use super::*;

    /// Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
    /// 24(2), section 5 (also tests/data/SOURCES.md and lifetimes' test_estimation.py).
    const CDNOW_BG: BetaGeoParams = BetaGeoParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    fn cdnow_fit() -> FittedBetaGeo {
        let (f, r, t) = cdnow();
        BetaGeo::default().fit(&f, &r, &t).expect("CDNOW fits")
    }

    #[test]
    fn bg_nbd_on_cdnow_matches_the_published_estimates() {
        let m = cdnow_fit();
        let p = m.params();
        // Published: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4 (FHL 2005).
        assert!(rel(p.r, 0.243) < 5e-3, "{p:?}");
        assert!(rel(p.alpha, 4.414) < 5e-3, "{p:?}");
        assert!(rel(p.a, 0.793) < 5e-3, "{p:?}");
        assert!(rel(p.b, 2.426) < 5e-3, "{p:?}");
        let ll = m.log_likelihood().unwrap();
        assert!((ll - -9582.4).abs() < 0.05, "{ll}");
        assert_eq!(m.n_customers(), 2357);
        let se = m.standard_errors().expect("a regular optimum");
        for (name, v) in se.named() {
            assert!(v.is_finite() && v > 0.0, "{name} {v}");
        }
        // The standard errors are small next to the estimates on 2357 customers.
        assert!(
            se.r < 0.05 && se.alpha < 1.0 && se.a < 0.5 && se.b < 2.0,
            "{se:?}"
        );
        // The objective and the direct per-customer evaluation agree.
        let (f, r, t) = cdnow();
        assert!((m.log_likelihood_of(&f, &r, &t).unwrap() - ll).abs() < 1e-9);
    }

    #[test]
    fn weighted_fit_equals_the_expanded_fit() {
        let (f, r, t) = cdnow();
        let m = BetaGeo::default().fit(&f, &r, &t).unwrap();
        // Group identical rows by hand and fit with weights.
        let mut rows: Vec<(f64, f64, f64)> = (0..f.len()).map(|i| (f[i], r[i], t[i])).collect();
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (mut fw, mut rw, mut tw, mut w) = (vec![], vec![], vec![], vec![]);
        for row in rows {
            if fw.last() == Some(&row.0) && rw.last() == Some(&row.1) && tw.last() == Some(&row.2) {
                *w.last_mut().unwrap() += 1.0;
            } else {
                fw.push(row.0);
                rw.push(row.1);
                tw.push(row.2);
                w.push(1.0);
            }
        }
        assert!(fw.len() < f.len());
        let mw = BetaGeo::default().fit_weighted(&fw, &rw, &tw, &w).unwrap();
        for ((_, a), (_, b)) in m.params().named().into_iter().zip(mw.params().named()) {
            assert!(rel(a, b) < 1e-6);
        }
        assert!((m.log_likelihood().unwrap() - mw.log_likelihood().unwrap()).abs() < 1e-6);
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let (f, r, t) = cdnow();
        for variant in [Variant::Bg, Variant::Mbg] {
            let pat = Patterns::new(&f, &r, &t, None, time_scale(&t));
            let mut obj = BgObjective::new(&pat, variant, 0.1);
            let th = [-1.2, 0.3, -0.4, 0.8];
            let mut g = [0.0; 4];
            obj.eval(&th, Some(&mut g));
            let mut num = [0.0; 4];
            optim::central_gradient(&mut |x| obj.eval(x, None), &th, &mut num);
            for i in 0..4 {
                assert!(
                    (g[i] - num[i]).abs() < 1e-7 * (1.0 + g[i].abs()),
                    "{variant:?} {i}: {g:?} vs {num:?}"
                );
            }
        }
    }

    #[test]
    fn bg_nbd_predictions_match_published_values() {
        let m = FittedBetaGeo::new(CDNOW_BG).unwrap();
        // Conditional expectation of the next 39 weeks for x = 2, t_x = 30.43, T = 38.86: 1.226
        // (FHL 2005, section 5; lifetimes' tests/test_estimation.py,
        // test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet).
        let e = m
            .expected_purchases(39.0, &[2.0], &[30.43], &[38.86])
            .unwrap()[0];
        assert!((e - 1.226).abs() < 1e-3, "{e}");
        // Expected purchases of a new customer, from Hardie's BG/NBD spreadsheet (at the
        // unrounded estimates, so with the fitted model), as quoted by lifetimes'
        // test_expectation_returns_same_value_Hardie_excel_sheet.
        let times = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00];
        let published = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
        let fitted = cdnow_fit();
        let got = fitted.expected_purchases_new(&times).unwrap();
        for (g, p) in got.iter().zip(published) {
            assert!((g - p).abs() < 5e-4, "{got:?}");
        }
        // lifetimes' Quickstart ("Ranking customers from best to worst"): the next period's
        // expected purchases of CDNOW customers 1516, 157 and 509.
        let top = fitted
            .expected_purchases(
                1.0,
                &[26.0, 29.0, 18.0],
                &[30.86, 37.71, 35.14],
                &[31.0, 38.0, 35.86],
            )
            .unwrap();
        for (g, p) in top.iter().zip([0.710623, 0.662396, 0.424877]) {
            assert!((g - p).abs() < 2e-6, "{top:?}");
        }
        // The PMF, as given by R BTYD's manual (bgnbd.pmf) and quoted in lifetimes'
        // test_probability_of_n_purchases_up_to_time_same_as_R_BTYD.
        let p = m.probability_of_purchases(&[10], 2.0).unwrap()[0];
        assert!((p - 1.07869e-07).abs() < 1e-11, "{p}");
        let p0 = m.probability_of_purchases(&[0], 39.0).unwrap()[0];
        assert!((p0 - 0.5737864).abs() < 1e-6, "{p0}");
        let pmf = m
            .probability_of_purchases(&(11..21).collect::<Vec<_>>(), 30.0)
            .unwrap();
        let btyd = [
            0.0019995214,
            0.0015170236,
            0.0011633150,
            0.0009003148,
            0.0007023638,
            0.0005517902,
            0.0004361913,
            0.0003467171,
            0.0002769613,
            0.0002222260,
        ];
        for (g, b) in pmf.iter().zip(btyd) {
            assert!((g - b).abs() < 1e-8, "{pmf:?}");
        }
        // The PMF sums to 1 and its mean is the expectation.
        let all = m
            .probability_of_purchases(&(0..4000).collect::<Vec<_>>(), 30.0)
            .unwrap();
        let total: f64 = all.iter().sum();
        let mean: f64 = all.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let e30 = m.expected_purchases_new(&[30.0]).unwrap()[0];
        assert!(rel(mean, e30) < 1e-6, "{mean} vs {e30}");
    }

    #[test]
    fn probability_alive_properties() {
        let m = FittedBetaGeo::new(CDNOW_BG).unwrap();
        // No repeat purchase: alive for sure (lifetimes'
        // test_conditional_probability_alive_returns_1_if_no_repeat_purchases).
        assert_eq!(m.probability_alive(&[0.0], &[0.0], &[1.0]).unwrap()[0], 1.0);
        let mut prev_rec = 0.0;
        for x in (1..100).step_by(10) {
            for tx in (0..100).step_by(10) {
                let p = m
                    .probability_alive(&[x as f64], &[tx as f64], &[99.0])
                    .unwrap()[0];
                assert!((0.0..=1.0).contains(&p));
                // More recent last purchase, more likely alive.
                if tx > 0 {
                    assert!(p >= prev_rec);
                }
                prev_rec = p;
            }
        }
        // lifetimes' test_no_runtime_warnings_high_frequency: x = 1000, t_x = 10, T = 100 is 0.
        assert_eq!(
            m.probability_alive(&[1000.0], &[10.0], &[100.0]).unwrap()[0],
            0.0
        );
    }

    #[test]
    fn expected_value_series_and_integral_agree() {
        let mut checked = 0;
        for &r in &[0.243, 1.5, 30.0] {
            for &a in &[0.3, 0.793, 2.5, 40.0] {
                for &b in &[0.7, 2.426, 25.0] {
                    for &k in &[1e-4, 0.05, 0.9, 3.0, 8.0] {
                        let integral = bg_expected_integral(k, r, a, b);
                        assert!(integral.is_finite() && integral > 0.0);
                        if let Some(series) = bg_expected_series(k, r, a, b) {
                            assert!(
                                rel(series, integral) < 1e-9,
                                "r {r} a {a} b {b} k {k}: {series} vs {integral}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 60, "{checked}");
        // For a = 1 the closed form is 0/0; the integral is continuous through it.
        let below = bg_expected(2.0, 0.5, 1.0 - 1e-7, 2.0);
        let at = bg_expected(2.0, 0.5, 1.0, 2.0);
        let above = bg_expected(2.0, 0.5, 1.0 + 1e-7, 2.0);
        assert!(
            rel(at, below) < 1e-6 && rel(at, above) < 1e-6,
            "{below} {at} {above}"
        );
        // a + b < 1 (the closed form's c = a + b - 1 is negative) still works, and matches a
        // brute-force midpoint rule over p.
        let (k, r, a, b) = (1.5f64, 0.8f64, 0.4f64, 0.3f64);
        let n = 200_000;
        let lnb = ln_beta(a, b);
        let phi = |p: f64| -(-r * (k * p).ln_1p()).exp_m1() / p;
        let mut brute = 0.0;
        // [0, 1/2] with p = u^(1/a) (p^(a-1) dp = du / a), [1/2, 1] with 1 - p = v^(1/b).
        let (ua, vb) = (0.5f64.powf(a), 0.5f64.powf(b));
        for i in 0..n {
            let s = (i as f64 + 0.5) / n as f64;
            let p = (s * ua).powf(1.0 / a);
            brute += phi(p) * (1.0 - p).powf(b - 1.0) * ua / a / n as f64;
            let q = (s * vb).powf(1.0 / b);
            let p = 1.0 - q;
            brute += phi(p) * p.powf(a - 1.0) * vb / b / n as f64;
        }
        brute /= lnb.exp();
        let got = bg_expected(k, r, a, b);
        assert!(rel(got, brute) < 1e-8, "{got} vs {brute}");
    }

    #[test]
    fn extreme_histories_stay_finite() {
        let m = FittedBetaGeo::new(CDNOW_BG).unwrap();
        let mbg = FittedModifiedBetaGeo::new(CDNOW_BG).unwrap();
        let cases: &[(f64, f64, f64)] = &[
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 1e-6),
            (0.0, 0.0, 1e6),
            (1.0, 1e-6, 1e-6),
            (3.0, 5e-7, 1e-6),
            (500.0, 1e6, 1e6),
            (5000.0, 1e6, 1e6),
            (5000.0, 10.0, 1e6),
            (1000.0, 38.0, 38.86),
            (2000.0, 1e-6, 1e-6),
            (10.0, 0.0, 40.0),
            (1e6, 50.0, 52.0),
        ];
        for &(x, tx, t) in cases {
            for h in [0.0, 1e-6, 1.0, 52.0, 1e6] {
                let e = m.expected_purchases(h, &[x], &[tx], &[t]).unwrap()[0];
                let e2 = mbg.expected_purchases(h, &[x], &[tx], &[t]).unwrap()[0];
                assert!(
                    e.is_finite() && e >= 0.0,
                    "BG x {x} tx {tx} T {t} h {h}: {e}"
                );
                assert!(
                    e2.is_finite() && e2 >= 0.0,
                    "MBG x {x} tx {tx} T {t} h {h}: {e2}"
                );
            }
            let p = m.probability_alive(&[x], &[tx], &[t]).unwrap()[0];
            let p2 = mbg.probability_alive(&[x], &[tx], &[t]).unwrap()[0];
            assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&p2));
            if x == 0.0 {
                assert_eq!(p, 1.0);
            }
            assert!(m.log_likelihood_of(&[x], &[tx], &[t]).unwrap().is_finite());
            assert!(
                mbg.log_likelihood_of(&[x], &[tx], &[t])
                    .unwrap()
                    .is_finite()
            );
        }
        // A heavy buyer whose last purchase is at T: the expectation grows with the horizon
        // and is close to rate * horizon over a short one.
        let x = 1000.0;
        let e: Vec<f64> = [1.0, 2.0, 4.0]
            .iter()
            .map(|&h| m.expected_purchases(h, &[x], &[38.86], &[38.86]).unwrap()[0])
            .collect();
        assert!(e[0] < e[1] && e[1] < e[2], "{e:?}");
        let rate = (CDNOW_BG.r + x) / (CDNOW_BG.alpha + 38.86);
        assert!(rel(e[0], rate) < 0.05, "{} vs {rate}", e[0]);
        // Recency = T versus a long silence: the silent customer is expected to buy less.
        let silent = m
            .expected_purchases(10.0, &[20.0], &[1.0], &[38.86])
            .unwrap()[0];
        let recent = m
            .expected_purchases(10.0, &[20.0], &[38.86], &[38.86])
            .unwrap()[0];
        assert!(silent < recent);
        // Expected purchases of new customers over huge horizons stay finite and increase.
        let e = m.expected_purchases_new(&[1e3, 1e6, 1e9]).unwrap();
        assert!(
            e.iter().all(|v| v.is_finite()) && e[0] < e[1] && e[1] < e[2],
            "{e:?}"
        );
        let pm = m.probability_of_purchases(&[0, 1, 1000], 1e6).unwrap();
        assert!(
            pm.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
            "{pm:?}"
        );
    }

    #[test]
    fn conditional_expectation_matches_the_closed_form_at_moderate_values() {
        // FHL 2005 eq. 10 with the Gauss series, for comparison with what the module computes.
        let p = CDNOW_BG;
        let m = FittedBetaGeo::new(p).unwrap();
        for &(x, tx, t, h) in &[
            (2.0, 30.43, 38.86, 39.0),
            (0.0, 0.0, 30.0, 10.0),
            (7.0, 29.43, 38.86, 20.0),
            (1.0, 5.0, 32.0, 52.0),
        ] {
            let z = h / (p.alpha + t + h);
            let f = hyp2f1_series(p.r + x, p.b + x, p.a + p.b + x - 1.0, z, 100_000).unwrap();
            let num = (p.a + p.b + x - 1.0) / (p.a - 1.0)
                * (1.0 - ((p.alpha + t) / (p.alpha + t + h)).powf(p.r + x) * f);
            let den = 1.0
                + if x > 0.0 {
                    p.a / (p.b + x - 1.0) * ((p.alpha + t) / (p.alpha + tx)).powf(p.r + x)
                } else {
                    0.0
                };
            let got = m.expected_purchases(h, &[x], &[tx], &[t]).unwrap()[0];
            assert!(rel(got, num / den) < 1e-10, "{got} vs {}", num / den);
        }
    }

    #[test]
    fn mbg_nbd_on_cdnow_matches_btydplus() {
        // BTYDplus' mbgnbd.EstimateParameters on the CDNOW summary: r 0.525, alpha 6.183,
        // a 0.891, b 1.614, as quoted by lifetimes' test_params_out_is_close_to_BTYDplus
        // (tests/test_estimation.py, TestModifiedBetaGammaFitter).
        let (f, r, t) = cdnow();
        let m = ModifiedBetaGeo::default().fit(&f, &r, &t).unwrap();
        let p = m.params();
        assert!((p.r - 0.525).abs() < 1e-3, "{p:?}");
        assert!((p.alpha - 6.183).abs() < 1e-3, "{p:?}");
        assert!((p.a - 0.891).abs() < 1e-3, "{p:?}");
        assert!((p.b - 1.614).abs() < 1e-3, "{p:?}");
        assert!(m.standard_errors().is_some());
        // The MBG/NBD can lose a customer before any repeat purchase.
        assert!(m.probability_alive(&[0.0], &[0.0], &[1.0]).unwrap()[0] < 1.0);
        // lifetimes checks the MBG/NBD against the BG/NBD's published conditional
        // expectation within 0.05.
        let e = m
            .expected_purchases(39.0, &[2.0], &[30.43], &[38.86])
            .unwrap()[0];
        assert!((e - 1.226).abs() < 0.05, "{e}");
        // Its PMF sums to 1 with the expectation as mean.
        let all = m
            .probability_of_purchases(&(0..3000).collect::<Vec<_>>(), 30.0)
            .unwrap();
        let mean: f64 = all.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((all.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(rel(mean, m.expected_purchases_new(&[30.0]).unwrap()[0]) < 1e-6);
    }

    /// Simulates the (M)BG/NBD process for `n` customers with ages uniform in [20, 40].
    fn simulate(
        variant: Variant,
        p: &BetaGeoParams,
        n: usize,
        seed: u64,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = Rng(seed);
        let (mut f, mut r, mut t) = (vec![], vec![], vec![]);
        for _ in 0..n {
            let age = 20.0 + 20.0 * rng.uniform();
            let lambda = rng.gamma(p.r) / p.alpha;
            let drop = rng.beta(p.a, p.b);
            let mut x = 0.0;
            let mut last = 0.0;
            let mut alive = !(variant == Variant::Mbg && rng.uniform() < drop);
            let mut now = 0.0;
            while alive {
                now += rng.exponential(lambda);
                if now > age {
                    break;
                }
                x += 1.0;
                last = now;
                if rng.uniform() < drop {
                    alive = false;
                }
            }
            f.push(x);
            r.push(last);
            t.push(age);
        }
        (f, r, t)
    }

    #[test]
    fn fits_recover_simulated_parameters() {
        let truth = BetaGeoParams {
            r: 0.8,
            alpha: 5.0,
            a: 1.2,
            b: 3.5,
        };
        for (variant, seed) in [(Variant::Bg, 7), (Variant::Mbg, 11)] {
            let (f, r, t) = simulate(variant, &truth, 20_000, seed);
            let (est, se) = match variant {
                Variant::Bg => {
                    let m = BetaGeo::default().fit(&f, &r, &t).unwrap();
                    (m.params(), m.standard_errors().unwrap())
                }
                Variant::Mbg => {
                    let m = ModifiedBetaGeo::default().fit(&f, &r, &t).unwrap();
                    (m.params(), m.standard_errors().unwrap())
                }
            };
            for ((name, e), ((_, s), (_, tr))) in est
                .named()
                .into_iter()
                .zip(se.named().into_iter().zip(truth.named()))
            {
                assert!(
                    (e - tr).abs() < 4.0 * s,
                    "{variant:?} {name}: {e} vs {tr} (se {s})"
                );
            }
        }
    }

    #[test]
    fn fits_do_not_depend_on_the_time_unit() {
        // lifetimes' test_scaling_inputs_gives_same_or_similar_results, taken further: days,
        // and units a million times smaller or larger.
        let (f, r, t) = cdnow();
        let weeks = BetaGeo::default().fit(&f, &r, &t).unwrap();
        let mweeks = ModifiedBetaGeo::default().fit(&f, &r, &t).unwrap();
        let sum_x: f64 = f.iter().sum();
        for c in [7.0, 1e-6, 1e6] {
            let rs: Vec<f64> = r.iter().map(|v| v * c).collect();
            let ts: Vec<f64> = t.iter().map(|v| v * c).collect();
            let m = BetaGeo::default().fit(&f, &rs, &ts).unwrap();
            let (p, q) = (m.params(), weeks.params());
            assert!(
                rel(p.r, q.r) < 1e-5 && rel(p.alpha, q.alpha * c) < 1e-5,
                "{c}: {p:?}"
            );
            assert!(rel(p.a, q.a) < 1e-5 && rel(p.b, q.b) < 1e-5, "{c}: {p:?}");
            // The likelihood of times in a unit c times smaller has a Jacobian c^-x.
            let ll = m.log_likelihood().unwrap();
            assert!((ll - (weeks.log_likelihood().unwrap() - sum_x * c.ln())).abs() < 1e-6);
            let a = m.probability_alive(&[1.0], &[c], &[2.0 * c]).unwrap()[0];
            let b = weeks.probability_alive(&[1.0], &[1.0], &[2.0]).unwrap()[0];
            assert!((a - b).abs() < 1e-6);
            let mm = ModifiedBetaGeo::default().fit(&f, &rs, &ts).unwrap();
            assert!(rel(mm.params().b, mweeks.params().b) < 1e-5, "{c}");
        }
    }

    #[test]
    fn small_and_odd_data_sets_fit_or_fail_cleanly() {
        let (f, r, t) = cdnow();
        for n in [1, 2, 3, 5, 10, 40] {
            for penalizer in [0.0, 0.01, 1.0] {
                let bg = BetaGeo { penalizer };
                match bg.fit(&f[..n], &r[..n], &t[..n]) {
                    Ok(m) => {
                        let p = m.params();
                        assert!(
                            p.named().iter().all(|(_, v)| v.is_finite() && *v > 0.0),
                            "{n}: {p:?}"
                        );
                        assert!(m.log_likelihood().unwrap().is_finite());
                    }
                    Err(e) => assert!(matches!(e, Error::Fit { .. }), "{n}: {e:?}"),
                }
                let _ = ModifiedBetaGeo { penalizer }.fit(&f[..n], &r[..n], &t[..n]);
            }
        }
        // With a penalizer, even two customers give an estimate.
        assert!(
            BetaGeo { penalizer: 0.1 }
                .fit(&f[..2], &r[..2], &t[..2])
                .is_ok()
        );
        // Heavy buyers among ordinary ones, tiny and huge ages.
        let mut f2 = f.clone();
        let mut r2 = r.clone();
        let mut t2 = t.clone();
        f2.extend([3000.0, 1500.0, 0.0, 2.0, 800.0]);
        r2.extend([38.0, 20.0, 0.0, 1e-6, 38.5]);
        t2.extend([38.5, 38.5, 1e-6, 1e-6, 38.5]);
        for m in [
            BetaGeo::default().fit(&f2, &r2, &t2).unwrap().params(),
            ModifiedBetaGeo::default()
                .fit(&f2, &r2, &t2)
                .unwrap()
                .params(),
        ] {
            assert!(
                m.named().iter().all(|(_, v)| v.is_finite() && *v > 0.0),
                "{m:?}"
            );
        }
    }

    #[test]
    fn penalizer_shrinks_the_parameters() {
        let (f, r, t) = cdnow();
        let p0 = BetaGeo::default().fit(&f, &r, &t).unwrap().params();
        let p1 = BetaGeo { penalizer: 0.1 }.fit(&f, &r, &t).unwrap().params();
        let p2 = BetaGeo { penalizer: 10.0 }
            .fit(&f, &r, &t)
            .unwrap()
            .params();
        let sum = |p: BetaGeoParams| p.r + p.alpha + p.a + p.b;
        assert!(
            sum(p1) < sum(p0) && sum(p2) < sum(p1),
            "{p0:?} {p1:?} {p2:?}"
        );
        assert!(BetaGeo { penalizer: -1.0 }.fit(&f, &r, &t).is_err());
        assert!(
            BetaGeo {
                penalizer: f64::NAN
            }
            .fit(&f, &r, &t)
            .is_err()
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let bg = BetaGeo::default();
        let data_err = |e: Error, col: &str, row: Option<usize>| match e {
            Error::InvalidData { column, row: r, .. } => {
                assert!(column == col && r == row, "{column} {r:?}")
            }
            other => panic!("{other:?}"),
        };
        data_err(
            bg.fit(&[1.0, 0.0], &[1.0], &[2.0, 2.0]).unwrap_err(),
            "recency",
            None,
        );
        data_err(
            bg.fit(&[1.0, 0.0], &[1.0, 0.0], &[2.0]).unwrap_err(),
            "T",
            None,
        );
        data_err(
            bg.fit(&[1.0, -1.0], &[1.0, 0.0], &[2.0, 2.0]).unwrap_err(),
            "frequency",
            Some(1),
        );
        data_err(
            bg.fit(&[1.0, f64::NAN], &[1.0, 0.0], &[2.0, 2.0])
                .unwrap_err(),
            "frequency",
            Some(1),
        );
        data_err(
            bg.fit(&[1.5, 0.0], &[1.0, 0.0], &[2.0, 2.0]).unwrap_err(),
            "frequency",
            Some(0),
        );
        data_err(
            bg.fit(&[1.0, 0.0], &[3.0, 0.0], &[2.0, 2.0]).unwrap_err(),
            "recency",
            Some(0),
        );
        data_err(
            bg.fit(&[1.0, 0.0], &[1.0, 0.5], &[2.0, 2.0]).unwrap_err(),
            "recency",
            Some(1),
        );
        data_err(
            bg.fit(&[1.0, 0.0], &[1.0, 0.0], &[2.0, f64::INFINITY])
                .unwrap_err(),
            "T",
            Some(1),
        );
        data_err(
            bg.fit_weighted(&[1.0], &[1.0], &[2.0], &[-1.0])
                .unwrap_err(),
            "weights",
            Some(0),
        );
        assert!(matches!(bg.fit(&[], &[], &[]), Err(Error::Fit { .. })));
        assert!(matches!(
            bg.fit(&[0.0, 0.0], &[0.0, 0.0], &[3.0, 4.0]),
            Err(Error::Fit { .. })
        ));
        assert!(matches!(
            ModifiedBetaGeo::default().fit(&[], &[], &[]),
            Err(Error::Fit { .. })
        ));
        let m = FittedBetaGeo::new(CDNOW_BG).unwrap();
        assert!(matches!(
            m.expected_purchases(-1.0, &[1.0], &[1.0], &[2.0]),
            Err(Error::InvalidArgument { name: "t", .. })
        ));
        assert!(matches!(
            m.expected_purchases(f64::NAN, &[1.0], &[1.0], &[2.0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            m.expected_purchases_new(&[1.0, -2.0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            m.probability_of_purchases(&[1], -2.0),
            Err(Error::InvalidArgument { .. })
        ));
        data_err(
            m.probability_alive(&[1.0], &[1.0, 2.0], &[2.0])
                .unwrap_err(),
            "recency",
            None,
        );
        assert_eq!(
            m.probability_alive(&[], &[], &[]).unwrap(),
            Vec::<f64>::new()
        );
        assert!(
            FittedBetaGeo::new(BetaGeoParams {
                r: -1.0,
                ..CDNOW_BG
            })
            .is_err()
        );
        assert!(
            FittedModifiedBetaGeo::new(BetaGeoParams {
                b: f64::NAN,
                ..CDNOW_BG
            })
            .is_err()
        );
        assert!(
            m.log_likelihood().is_none() && m.standard_errors().is_none() && m.n_customers() == 0
        );
    }
}
