//! Forecasting on AirPassengers: Nexus's recursions reproduce statsforecast's likelihood and
//! forecasts at statsforecast's own parameters, its optimizer then finds better ones, and the
//! automatic selection beats statsforecast's on the usual 12-month hold-out.

use nexus_core::analytics::forecast::{
    AutoEts, CvOptions, Ets, EtsParams, EtsSpec, cross_validate, metrics,
};
use serde_json::Value;

const AIR: &str = include_str!("../../../tests/data/AirPassengers.csv");
const REFERENCE: &str = include_str!("../../../tests/data/statsforecast_airpassengers_ets.json");
/// Nexus's own AutoETS fit of AirPassengers, which the Python and Node tests check too.
const OWN: &str = include_str!("../../../tests/data/nexus_airpassengers_autoets.json");

fn air() -> Vec<f64> {
    AIR.lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().trim().parse().unwrap())
        .collect()
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn statsforecast_parameters_give_statsforecast_numbers() {
    let y = air();
    let train = &y[..132];
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    for code in ["ANN", "AAdA", "MNM", "MAM", "MAdM"] {
        let r = &reference[code];
        let spec = EtsSpec::parse(code).unwrap();
        let par = r["par"].as_array().unwrap();
        let params = EtsParams {
            alpha: par[0].as_f64().unwrap(),
            beta: opt(&par[1]),
            gamma: opt(&par[2]),
            phi: opt(&par[3]),
        };
        // statsforecast (like R) lists the seasonal states most recent first.
        let init = floats(&r["init"]);
        let trend = usize::from(params.beta.is_some());
        let mut initial = init[..1 + trend].to_vec();
        let mut seasons = init[1 + trend..].to_vec();
        seasons.reverse();
        initial.extend(seasons);
        let fit = Ets::new(spec, 12)
            .evaluate(train, params, &initial)
            .unwrap();
        assert_eq!(fit.model(), r["method"].as_str().unwrap());
        let aicc = r["aicc"].as_f64().unwrap();
        assert!(
            (fit.aicc() - aicc).abs() < 1e-6 * aicc.abs(),
            "{code}: AICc {} vs statsforecast {aicc}",
            fit.aicc()
        );
        let mean = floats(&r["mean"]);
        let ours = fit.predict(12, &[]).unwrap().mean;
        // Damped trends: statsforecast (like R's etscalc.c) grows the damping sum by
        // phi^(i+1) at step i, so from step 2 on its forecast is l + (2 phi + ...) b where the
        // state-space model (Hyndman et al. 2008, section 2.3) gives l + (phi + phi^2 + ...) b.
        // Nexus follows the model; the one-step forecasts agree.
        let steps = if spec.code().contains('d') { 1 } else { 12 };
        for (a, b) in ours.iter().zip(&mean).take(steps) {
            assert!(
                (a - b).abs() < 1e-6 * b.abs(),
                "{code}: forecast {a} vs {b}"
            );
        }
        // Nexus's own fit of the same model is at least as likely.
        let own = Ets::new(spec, 12).fit(train).unwrap();
        assert!(
            own.aicc() <= aicc + 1e-6,
            "{code}: fitted AICc {} above statsforecast's {aicc}",
            own.aicc()
        );
    }
}

#[test]
fn autoets_beats_the_published_hold_out_error() {
    let y = air();
    let (train, test) = y.split_at(132);
    let fit = AutoEts::new().season_length(12).fit(train).unwrap();
    assert_eq!(fit.model(), "ETS(M,A,M)");
    let f = fit.predict(12, &[80.0, 95.0]).unwrap();
    let mape = metrics::mape(test, &f.mean).unwrap();
    // statsforecast 2.1.1's AutoETS picks ETS(M,N,M) here with a MAPE of 7.21%.
    assert!(mape < 4.5, "MAPE {mape}");
    // Intervals nest and contain the mean.
    let (i80, i95) = (f.interval(80.0).unwrap(), f.interval(95.0).unwrap());
    for k in 0..12 {
        assert!(i95.lower[k] < i80.lower[k] && i80.lower[k] < f.mean[k]);
        assert!(f.mean[k] < i80.upper[k] && i80.upper[k] < i95.upper[k]);
    }
    // Fifteen candidates were compared (no additive-error multiplicative-season models).
    assert_eq!(fit.candidates().len(), 15);
    // Deterministic: the same fit twice.
    let again = AutoEts::new().season_length(12).fit(train).unwrap();
    assert_eq!(again.predict(12, &[]).unwrap().mean, f.mean);
}

#[test]
fn rolling_origin_accuracy_on_airpassengers() {
    let y = air();
    let opts = CvOptions {
        h: 12,
        windows: 3,
        step: Some(12),
        season_length: 12,
    };
    let cv = cross_validate(&y, &opts, |train, h| {
        Ok(AutoEts::new()
            .season_length(12)
            .fit(train)?
            .predict(h, &[])?
            .mean)
    })
    .unwrap();
    assert_eq!(cv.windows.len(), 3);
    assert_eq!(cv.windows[2].cutoff, 132);
    let mase = cv.accuracy.mase.unwrap();
    // A seasonal naive forecast scores 1 by construction on the training scale; ETS does
    // much better on this series.
    assert!(mase < 1.0, "mean MASE {mase}");
}

#[test]
fn bad_series_get_named_errors() {
    let mut y = air();
    y[5] = f64::NAN;
    let err = AutoEts::new().season_length(12).fit(&y).unwrap_err();
    assert_eq!(err.code(), "invalid_data");
    assert!(err.to_string().contains("row 5"), "{err}");
    let err = Ets::from_code("MAM", 12)
        .unwrap()
        .fit(&[1.0, 2.0, -3.0, 4.0])
        .unwrap_err();
    assert!(err.to_string().contains("positive"), "{err}");
    let err = Ets::from_code("AAA", 12)
        .unwrap()
        .fit(&air()[..20])
        .unwrap_err();
    assert!(err.to_string().contains("two seasons"), "{err}");
    // A series too short for a season falls back to non-seasonal models.
    let short = AutoEts::new().season_length(12).fit(&air()[..20]).unwrap();
    assert!(short.model().ends_with("N)"), "{}", short.model());
    // A constant series forecasts itself.
    let flat = AutoEts::new().fit(&[5.0; 10]).unwrap();
    assert_eq!(flat.predict(3, &[95.0]).unwrap().mean, vec![5.0; 3]);
}

/// The fit and forecast the bindings' tests hold to the same numbers: the three languages
/// give the same result.
#[test]
fn the_airpassengers_fit_every_binding_reproduces() {
    let y = air();
    let own: Value = serde_json::from_str(OWN).unwrap();
    let fit = AutoEts::new().season_length(12).fit(&y[..132]).unwrap();
    assert_eq!(fit.model(), own["model"].as_str().unwrap());
    let f = fit.predict(12, &[95.0]).unwrap();
    let i95 = f.interval(95.0).unwrap();
    let got = [
        ("aicc", fit.aicc()),
        ("loglik", fit.loglik()),
        ("alpha", fit.params().alpha),
        ("mean_1", f.mean[0]),
        ("mean_12", f.mean[11]),
        ("lo95_1", i95.lower[0]),
        ("hi95_1", i95.upper[0]),
    ];
    for (key, value) in got {
        let want = own[key].as_f64().unwrap();
        assert!(
            (value - want).abs() <= 1e-6 * want.abs(),
            "{key}: {value} vs {want}"
        );
    }
}
