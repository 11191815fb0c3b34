//! A small unconstrained minimizer for the models' likelihoods (a handful of parameters):
//! BFGS with a strong-Wolfe line search, Nelder-Mead as the fallback, and the Hessian at the
//! optimum for the standard errors.

/// A smooth function of a few variables to minimize.
pub(crate) trait Objective {
    /// The value at `x`, and its gradient written to `grad` when given. A point where the
    /// function is not defined returns `f64::INFINITY`.
    fn eval(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64;

    /// Whether `eval` computes its gradient analytically (otherwise it differences values).
    fn analytic_gradient(&self) -> bool;
}

/// Central-difference gradient of `f` at `x` (step `eps^(1/3)` scaled to `x`), to check the
/// analytic gradients against.
#[cfg(test)]
pub(crate) fn central_gradient(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64], grad: &mut [f64]) {
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        let h = 6e-6 * (1.0 + x[i].abs());
        xp[i] = x[i] + h;
        let fp = f(&xp);
        xp[i] = x[i] - h;
        let fm = f(&xp);
        xp[i] = x[i];
        grad[i] = (fp - fm) / (2.0 * h);
    }
}

/// The result of a minimization.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The value there.
    pub f: f64,
    /// The largest absolute component of the gradient there.
    pub grad_norm: f64,
    /// Whether a convergence test was met.
    pub converged: bool,
}

fn eval_checked(obj: &mut dyn Objective, x: &[f64], g: &mut [f64]) -> f64 {
    let f = obj.eval(x, Some(g));
    if f.is_finite() && g.iter().all(|v| v.is_finite()) {
        f
    } else {
        f64::INFINITY
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Options of [`bfgs`].
pub(crate) struct BfgsOptions {
    /// Stop when every gradient component is below this (or below 100 times this when the
    /// function no longer decreases).
    pub gtol: f64,
    /// The largest move of any variable in one line search (the variables are logs, so this
    /// keeps `exp` finite).
    pub max_step: f64,
    /// Iteration limit.
    pub max_iter: usize,
}

/// One point of the line search: step, value, directional derivative, gradient.
struct Trial {
    alpha: f64,
    f: f64,
    dphi: f64,
    g: Vec<f64>,
}

/// The ray `x + alpha d` being searched.
struct Ray<'a> {
    x: &'a [f64],
    d: &'a [f64],
    xt: Vec<f64>,
    f0: f64,
    dphi0: f64,
}

impl Ray<'_> {
    fn at(&mut self, obj: &mut dyn Objective, alpha: f64) -> Trial {
        for i in 0..self.x.len() {
            self.xt[i] = self.x[i] + alpha * self.d[i];
        }
        let mut g = vec![0.0; self.x.len()];
        let f = eval_checked(obj, &self.xt, &mut g);
        let dphi = if f.is_finite() {
            dot(&g, self.d)
        } else {
            f64::NAN
        };
        Trial { alpha, f, dphi, g }
    }
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;

/// The zoom phase of the strong-Wolfe search between `lo` (sufficient decrease) and `hi`.
fn zoom(obj: &mut dyn Objective, ray: &mut Ray<'_>, mut lo: Trial, mut hi: Trial) -> Option<Trial> {
    for _ in 0..25 {
        let (a, b) = (lo.alpha, hi.alpha);
        let width = (b - a).abs();
        if width < 1e-14 * a.abs().max(1e-10) {
            break;
        }
        // Cubic interpolation when both ends are finite, safeguarded to the middle 80%.
        let mut alpha = f64::NAN;
        if hi.f.is_finite() && hi.dphi.is_finite() {
            let d1 = lo.dphi + hi.dphi - 3.0 * (lo.f - hi.f) / (a - b);
            let disc = d1 * d1 - lo.dphi * hi.dphi;
            if disc >= 0.0 {
                let d2 = (b - a).signum() * disc.sqrt();
                alpha = b - (b - a) * (hi.dphi + d2 - d1) / (hi.dphi - lo.dphi + 2.0 * d2);
            }
        }
        let (left, right) = (a.min(b), a.max(b));
        if !alpha.is_finite() || alpha < left + 0.1 * width || alpha > right - 0.1 * width {
            alpha = 0.5 * (a + b);
        }
        let t = ray.at(obj, alpha);
        if !t.f.is_finite() || t.f > ray.f0 + C1 * alpha * ray.dphi0 || t.f >= lo.f {
            hi = t;
        } else {
            if t.dphi.abs() <= -C2 * ray.dphi0 {
                return Some(t);
            }
            if t.dphi * (hi.alpha - lo.alpha) >= 0.0 {
                hi = std::mem::replace(&mut lo, t);
            } else {
                lo = t;
            }
        }
    }
    // Accept the best point found if it decreases the function.
    if lo.alpha > 0.0 && lo.f < ray.f0 {
        Some(lo)
    } else {
        None
    }
}

/// Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) along `d` from `x`,
/// with steps no longer than `alpha_max`.
fn line_search(
    obj: &mut dyn Objective,
    x: &[f64],
    f0: f64,
    g0: &[f64],
    d: &[f64],
    alpha_max: f64,
) -> Option<Trial> {
    let dphi0 = dot(g0, d);
    let mut ray = Ray {
        x,
        d,
        xt: vec![0.0; x.len()],
        f0,
        dphi0,
    };
    let mut prev = Trial {
        alpha: 0.0,
        f: f0,
        dphi: dphi0,
        g: g0.to_vec(),
    };
    let mut alpha = alpha_max.min(1.0);
    for _ in 0..60 {
        let t = ray.at(obj, alpha);
        if !t.f.is_finite() {
            // Outside the domain: come back towards the last good point.
            if alpha - prev.alpha < 1e-14 {
                break;
            }
            alpha = prev.alpha + 0.25 * (alpha - prev.alpha);
            continue;
        }
        if t.f > f0 + C1 * alpha * dphi0 || (prev.alpha > 0.0 && t.f >= prev.f) {
            return zoom(obj, &mut ray, prev, t);
        }
        if t.dphi.abs() <= -C2 * dphi0 {
            return Some(t);
        }
        if t.dphi >= 0.0 {
            return zoom(obj, &mut ray, t, prev);
        }
        if alpha >= alpha_max {
            // The largest allowed step still descends: take it.
            return Some(t);
        }
        prev = t;
        alpha = (2.0 * alpha).min(alpha_max);
    }
    if prev.alpha > 0.0 && prev.f < f0 {
        Some(prev)
    } else {
        None
    }
}

/// How far above `gtol` the gradient may be when the function stops decreasing (its changes
/// are then below its rounding: a minimum to the precision at hand).
const NOISE: f64 = 100.0;

/// BFGS from `x0`.
pub(crate) fn bfgs(obj: &mut dyn Objective, x0: &[f64], opts: &BfgsOptions) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut f = eval_checked(obj, &x, &mut g);
    if !f.is_finite() {
        return Minimum {
            x,
            f,
            grad_norm: f64::INFINITY,
            converged: false,
        };
    }
    let identity = |h: &mut [f64]| {
        h.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            h[i * n + i] = 1.0;
        }
    };
    let mut hinv = vec![0.0; n * n];
    identity(&mut hinv);
    let mut fresh = true;
    let mut d = vec![0.0; n];
    let mut stalls = 0;
    for _ in 0..opts.max_iter {
        let gn = inf_norm(&g);
        if gn < opts.gtol {
            return Minimum {
                x,
                f,
                grad_norm: gn,
                converged: true,
            };
        }
        for i in 0..n {
            d[i] = -(0..n).map(|j| hinv[i * n + j] * g[j]).sum::<f64>();
        }
        if dot(&d, &g) >= 0.0 || d.iter().any(|v| !v.is_finite()) {
            identity(&mut hinv);
            fresh = true;
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
        }
        let dn = inf_norm(&d);
        let alpha_max = if dn > 0.0 { opts.max_step / dn } else { 1.0 };
        let Some(t) = line_search(obj, &x, f, &g, &d, alpha_max) else {
            // No decrease along the direction: at the optimum to rounding when the gradient is
            // small (the function's changes are then below its precision).
            if fresh || gn < NOISE * opts.gtol {
                return Minimum {
                    x,
                    f,
                    grad_norm: gn,
                    converged: gn < NOISE * opts.gtol,
                };
            }
            identity(&mut hinv);
            fresh = true;
            continue;
        };
        let s: Vec<f64> = d.iter().map(|v| t.alpha * v).collect();
        let y: Vec<f64> = t.g.iter().zip(&g).map(|(a, b)| a - b).collect();
        let f_old = f;
        for i in 0..n {
            x[i] += s[i];
        }
        f = t.f;
        g = t.g;
        let sy = dot(&s, &y);
        if sy > 1e-300 && sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if fresh {
                // Scale the first inverse Hessian to the curvature seen (Nocedal & Wright 6.20).
                let scale = sy / dot(&y, &y);
                hinv.iter_mut().for_each(|v| *v *= scale);
            }
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| hinv[i * n + j] * y[j]).sum())
                .collect();
            let yhy = dot(&y, &hy);
            for i in 0..n {
                for j in 0..n {
                    hinv[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
            fresh = false;
        }
        if (f_old - f).abs() <= 1e-14 * (1.0 + f.abs()) {
            let gn = inf_norm(&g);
            stalls += 1;
            if gn < NOISE * opts.gtol || stalls >= 3 {
                return Minimum {
                    x,
                    f,
                    grad_norm: gn,
                    converged: gn < NOISE * opts.gtol,
                };
            }
        } else {
            stalls = 0;
        }
    }
    let gn = inf_norm(&g);
    Minimum {
        x,
        f,
        grad_norm: gn,
        converged: gn < opts.gtol,
    }
}

/// Nelder-Mead from `x0` with an initial simplex of side `step`: the fallback when BFGS
/// does not converge (it needs no gradient and tolerates a rough function).
pub(crate) fn nelder_mead(
    obj: &mut dyn Objective,
    x0: &[f64],
    step: f64,
    max_iter: usize,
) -> Minimum {
    let n = x0.len();
    let mut f = |x: &[f64]| {
        let v = obj.eval(x, None);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step;
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| f(p)).collect();
    let mut converged = false;
    for _ in 0..max_iter {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = order.iter().map(|&i| pts[i].clone()).collect();
        vals = order.iter().map(|&i| vals[i]).collect();
        let spread = (vals[n] - vals[0]).abs();
        let size = pts[1..]
            .iter()
            .map(|p| {
                p.iter()
                    .zip(&pts[0])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if vals[0].is_finite() && spread <= 1e-13 * (1.0 + vals[0].abs()) && size < 1e-9 {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| pts[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (pts[n][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = f(&xr);
        if fr < vals[0] {
            let xe = along(-2.0);
            let fe = f(&xe);
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
        } else {
            let (xc, fc) = if fr < vals[n] {
                let xc = along(-0.5);
                let fc = f(&xc);
                (xc, fc)
            } else {
                let xc = along(0.5);
                let fc = f(&xc);
                (xc, fc)
            };
            if fc < vals[n].min(fr) {
                pts[n] = xc;
                vals[n] = fc;
            } else {
                for i in 1..=n {
                    let p: Vec<f64> = (0..n)
                        .map(|j| pts[0][j] + 0.5 * (pts[i][j] - pts[0][j]))
                        .collect();
                    vals[i] = f(&p);
                    pts[i] = p;
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    Minimum {
        x: pts[best].clone(),
        f: vals[best],
        grad_norm: f64::NAN,
        converged,
    }
}

/// Minimizes from each start in turn (BFGS, then Nelder-Mead and BFGS again from its result
/// if BFGS did not converge), stopping at the first start that converges; returns the best
/// minimum seen.
pub(crate) fn minimize(
    obj: &mut dyn Objective,
    starts: &[Vec<f64>],
    opts: &BfgsOptions,
) -> Minimum {
    let mut best: Option<Minimum> = None;
    let better = |m: &Minimum, best: &Option<Minimum>| match best {
        None => true,
        Some(b) => (m.converged && !b.converged) || (m.converged == b.converged && m.f < b.f),
    };
    for x0 in starts {
        let mut m = bfgs(obj, x0, opts);
        if !m.converged {
            let from = if m.f.is_finite() {
                m.x.clone()
            } else {
                x0.clone()
            };
            let nm = nelder_mead(obj, &from, 0.5, 4000);
            if nm.f.is_finite() {
                let polished = bfgs(obj, &nm.x, opts);
                m = if polished.f <= nm.f { polished } else { nm };
            }
        }
        let done = m.converged;
        if better(&m, &best) {
            best = Some(m);
        }
        if done {
            break;
        }
    }
    best.unwrap_or(Minimum {
        x: starts.first().cloned().unwrap_or_default(),
        f: f64::INFINITY,
        grad_norm: f64::INFINITY,
        converged: false,
    })
}

/// The Hessian of the objective at `x` (row-major), by central differences of the analytic
/// gradient when there is one, of values otherwise.
pub(crate) fn hessian(obj: &mut dyn Objective, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    let mut xp = x.to_vec();
    if obj.analytic_gradient() {
        let mut gp = vec![0.0; n];
        let mut gm = vec![0.0; n];
        for i in 0..n {
            let step = 1e-5 * (1.0 + x[i].abs());
            xp[i] = x[i] + step;
            obj.eval(&xp, Some(&mut gp));
            xp[i] = x[i] - step;
            obj.eval(&xp, Some(&mut gm));
            xp[i] = x[i];
            for j in 0..n {
                h[i * n + j] = (gp[j] - gm[j]) / (2.0 * step);
            }
        }
        for i in 0..n {
            for j in 0..i {
                let m = 0.5 * (h[i * n + j] + h[j * n + i]);
                h[i * n + j] = m;
                h[j * n + i] = m;
            }
        }
    } else {
        let f0 = obj.eval(x, None);
        let steps: Vec<f64> = x.iter().map(|v| 1e-4 * (1.0 + v.abs())).collect();
        let mut f = |p: &[f64]| obj.eval(p, None);
        for i in 0..n {
            xp[i] = x[i] + steps[i];
            let fp = f(&xp);
            xp[i] = x[i] - steps[i];
            let fm = f(&xp);
            xp[i] = x[i];
            h[i * n + i] = (fp - 2.0 * f0 + fm) / (steps[i] * steps[i]);
            for j in 0..i {
                let mut val = 0.0;
                for (si, sj, sign) in [
                    (1.0, 1.0, 1.0),
                    (1.0, -1.0, -1.0),
                    (-1.0, 1.0, -1.0),
                    (-1.0, -1.0, 1.0),
                ] {
                    xp[i] = x[i] + si * steps[i];
                    xp[j] = x[j] + sj * steps[j];
                    val += sign * f(&xp);
                }
                xp[i] = x[i];
                xp[j] = x[j];
                let v = val / (4.0 * steps[i] * steps[j]);
                h[i * n + j] = v;
                h[j * n + i] = v;
            }
        }
    }
    h
}

/// The inverse of a symmetric positive-definite matrix (row-major) by Cholesky, or `None`
/// when it is not positive definite (or not finite).
pub(crate) fn spd_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    if a.len() != n * n || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // inverse of L, then inv(A) = inv(L)^T inv(L)
    let mut li = vec![0.0; n * n];
    for i in 0..n {
        li[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i * n + k] * li[k * n + j]).sum();
            li[i * n + j] = -s / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            inv[i * n + j] = (i.max(j)..n).map(|k| li[k * n + i] * li[k * n + j]).sum();
        }
    }
    if inv.iter().all(|v| v.is_finite()) {
        Some(inv)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's function in n dimensions, with its gradient.
    struct Rosenbrock;

    impl Objective for Rosenbrock {
        fn eval(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
            let mut f = 0.0;
            for i in 0..x.len() - 1 {
                f += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
            }
            if let Some(g) = grad {
                g.iter_mut().for_each(|v| *v = 0.0);
                for i in 0..x.len() - 1 {
                    g[i] += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
                    g[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i]);
                }
            }
            f
        }
        fn analytic_gradient(&self) -> bool {
            true
        }
    }

    #[test]
    fn bfgs_and_nelder_mead_find_rosenbrocks_minimum() {
        let opts = BfgsOptions {
            gtol: 1e-9,
            max_step: 2.0,
            max_iter: 1000,
        };
        let m = bfgs(&mut Rosenbrock, &[-1.2, 1.0, -0.5, 0.8], &opts);
        assert!(m.converged, "{m:?}");
        assert!(m.x.iter().all(|v| (v - 1.0).abs() < 1e-6), "{m:?}");
        let m = nelder_mead(&mut Rosenbrock, &[-1.2, 1.0, -0.5, 0.8], 0.5, 20_000);
        assert!(m.x.iter().all(|v| (v - 1.0).abs() < 1e-3), "{m:?}");
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        struct Quad;
        impl Objective for Quad {
            fn eval(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
                if let Some(g) = grad {
                    g[0] = 4.0 * x[0] + x[1];
                    g[1] = x[0] + 2.0 * x[1];
                }
                2.0 * x[0] * x[0] + x[0] * x[1] + x[1] * x[1]
            }
            fn analytic_gradient(&self) -> bool {
                false
            }
        }
        let h = hessian(&mut Quad, &[0.3, -0.2]);
        for (got, want) in h.iter().zip([4.0, 1.0, 1.0, 2.0]) {
            assert!((got - want).abs() < 1e-5, "{h:?}");
        }
        let inv = spd_inverse(&[4.0, 1.0, 1.0, 2.0], 2).unwrap();
        for (got, want) in inv
            .iter()
            .zip([2.0 / 7.0, -1.0 / 7.0, -1.0 / 7.0, 4.0 / 7.0])
        {
            assert!((got - want).abs() < 1e-14);
        }
        assert!(spd_inverse(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
