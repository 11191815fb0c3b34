// Forecasting through the Node binding: AutoETS on AirPassengers with the last year held out
// (the model R and statsforecast select, the hold-out error, the intervals), ETS with a fixed
// model against statsforecast's fits, number[] and Float64Array input alike, forecastMany over a long table with a
// series too short to fit, forecastSales on a hand-built seasonal monthly table, and
// productPerformance on a small order-lines table whose classes and dead stock are known by
// hand; the errors with their code, column and row.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import { rejection, thrown } from './helpers.mjs'

import { AutoETS, ETS, FittedETS, forecastMany, forecastSales, productPerformance } from '../index.js'

const data = (name) => readFileSync(new URL(`../../tests/data/${name}`, import.meta.url), 'utf8')

/** AirPassengers (`unique_id,ds,y`; 144 months, 1949-1960) as one object per row. */
function airPassengers() {
  const [header, ...lines] = data('AirPassengers.csv').trim().split(/\r?\n/)
  const keys = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i], keys[i] === 'y' ? Number(v) : v])))
}

const PASSENGERS = airPassengers().map((r) => r.y)
const TRAIN = PASSENGERS.slice(0, -12)
const TEST = PASSENGERS.slice(-12)

const mape = (actual, forecast) => actual.reduce((s, a, i) => s + Math.abs(a - forecast[i]) / a, 0) / actual.length

test('AutoETS on AirPassengers selects ETS(M,A,M) and forecasts the held-out year within 4.5%', async () => {
  const fit = await AutoETS.fit(TRAIN, { seasonLength: 12 })
  assert.ok(fit instanceof FittedETS)
  assert.equal(fit.model, 'ETS(M,A,M)')
  assert.equal(fit.code, 'MAM')
  assert.equal(fit.seasonLength, 12)
  // The parameters the model has, and no damping.
  assert.deepStrictEqual(Object.keys(fit.params).sort(), ['alpha', 'beta', 'gamma'])
  const { alpha, beta, gamma } = fit.params
  assert.ok(alpha > 0 && alpha < 1 && beta > 0 && beta <= alpha && gamma > 0 && gamma <= 1 - alpha, JSON.stringify(fit.params))
  // Fit statistics: AIC <= AICc (the correction is positive), all finite.
  for (const k of ['aic', 'aicc', 'bic', 'loglik', 'sigma2', 'mse']) assert.ok(Number.isFinite(fit[k]), k)
  assert.ok(fit.aic < fit.aicc)
  assert.equal(fit.initialSeasons.length, 12)
  assert.equal(typeof fit.initialTrend, 'number')
  // One fitted value per observation; residuals are y - fitted.
  assert.equal(fit.fitted.length, TRAIN.length)
  fit.residuals.forEach((r, i) => assert.ok(Math.abs(r - (TRAIN[i] - fit.fitted[i])) < 1e-9))
  // Every candidate tried, with its AICc: the selected one is the smallest.
  const candidates = fit.candidates
  assert.ok(Object.keys(candidates).length >= 10, Object.keys(candidates).join(','))
  assert.equal(candidates.MAM, fit.aicc)
  assert.ok(Object.values(candidates).every((v) => v >= fit.aicc))
  assert.ok(!('AAM' in candidates), 'additive errors with a multiplicative season are left out')

  const f = fit.predict(12, { level: [80, 95] })
  assert.deepStrictEqual(Object.keys(f), ['mean', 'intervals'])
  assert.equal(f.mean.length, 12)
  const m = mape(TEST, f.mean)
  assert.ok(m < 0.045, `hold-out MAPE ${(100 * m).toFixed(2)}%`)
  assert.deepStrictEqual(f.intervals.map((i) => i.level), [80, 95])
  const [i80, i95] = f.intervals
  for (let h = 0; h < 12; h++) {
    assert.ok(i95.lower[h] < i80.lower[h] && i80.lower[h] < f.mean[h] && f.mean[h] < i80.upper[h] && i80.upper[h] < i95.upper[h], `step ${h + 1}`)
  }
  // Intervals widen with the horizon (relative to the level of the forecast).
  assert.ok((i95.upper[11] - i95.lower[11]) / f.mean[11] > (i95.upper[0] - i95.lower[0]) / f.mean[0])
  // The simulated intervals are seeded: the same every time.
  assert.deepStrictEqual(fit.predict(12, { level: [80, 95] }), f)
  // Without levels, no intervals; a shorter horizon is the start of the longer one.
  const plain = fit.predict(3)
  assert.deepStrictEqual(plain, { mean: f.mean.slice(0, 3), intervals: [] })
  assert.deepStrictEqual(fit.predict(0), { mean: [], intervals: [] })
})

test('the AirPassengers fit and forecast are the ones the Rust and Python tests check', async () => {
  const own = JSON.parse(data('nexus_airpassengers_autoets.json'))
  const fit = await AutoETS.fit(TRAIN, { seasonLength: 12 })
  assert.equal(fit.model, own.model)
  const f = fit.predict(12, { level: [95] })
  const [i95] = f.intervals
  assert.equal(i95.level, 95)
  const got = {
    aicc: fit.aicc,
    loglik: fit.loglik,
    alpha: fit.params.alpha,
    mean_1: f.mean[0],
    mean_12: f.mean[11],
    lo95_1: i95.lower[0],
    hi95_1: i95.upper[0],
  }
  for (const [key, value] of Object.entries(got)) {
    assert.ok(Math.abs(value - own[key]) <= 1e-6 * Math.abs(own[key]), `${key}: ${value} vs ${own[key]}`)
  }
})

test('number[] and Float64Array give the same fit and forecast', async () => {
  const fromArray = await AutoETS.fit(TRAIN, { seasonLength: 12 })
  const fromTyped = await AutoETS.fit(Float64Array.from(TRAIN), { seasonLength: 12 })
  const summary = (fit) => ({
    model: fit.model,
    params: fit.params,
    aicc: fit.aicc,
    fitted: fit.fitted,
    candidates: fit.candidates,
    forecast: fit.predict(12, { level: [95] }),
  })
  assert.deepStrictEqual(summary(fromTyped), summary(fromArray))
  // Integer typed arrays are numbers too.
  assert.equal((await AutoETS.fit(Int32Array.from(TRAIN), { seasonLength: 12 })).model, 'ETS(M,A,M)')
})

test('AutoETS options and ETS with a fixed model', async () => {
  // No season given: the non-seasonal models only.
  const flat = await AutoETS.fit(TRAIN)
  assert.equal(flat.seasonLength, 1)
  assert.match(flat.model, /^ETS\([AM],(N|A|Ad),N\)$/)
  assert.ok(Object.keys(flat.candidates).every((code) => code.endsWith('N')))
  // A restricted set of candidates, picked by BIC; damped trends only.
  const two = await AutoETS.fit(TRAIN, { seasonLength: 12, models: ['ANA', 'ETS(M,N,M)'], ic: 'bic' })
  assert.deepStrictEqual(Object.keys(two.candidates), ['ANA', 'MNM'])
  assert.equal(two.candidates[two.code], two.bic)
  const damped = await AutoETS.fit(TRAIN, { seasonLength: 12, damped: true })
  assert.ok(Object.keys(damped.candidates).every((code) => !/^.A[NAM]$/.test(code)))
  assert.equal(typeof damped.params.phi === 'number', damped.code.includes('Ad'))

  // The fixed model AutoETS selected: ETS(M,A,M) fitted alone, no candidates.
  const mam = await ETS.fit(TRAIN, { model: 'MAM', seasonLength: 12 })
  assert.ok(mam instanceof FittedETS)
  assert.equal(mam.model, 'ETS(M,A,M)')
  assert.deepStrictEqual(mam.candidates, {})
  assert.ok(mape(TEST, mam.predict(12).mean) < 0.05)
  const ses = await ETS.fit(TRAIN, { model: 'ANN' })
  assert.deepStrictEqual(Object.keys(ses.params), ['alpha'])
  assert.equal(ses.initialTrend, null)
  assert.deepStrictEqual(ses.initialSeasons, [])
  // Simple exponential smoothing forecasts a flat line.
  const level = ses.predict(5).mean
  assert.ok(level.every((v) => Math.abs(v - level[0]) < 1e-9))
})

test('ETS agrees with statsforecast 2.1.1 on the first 132 months of AirPassengers', async () => {
  // tests/data/statsforecast_airpassengers_ets.json: statsforecast's fits of fixed models.
  const reference = JSON.parse(data('statsforecast_airpassengers_ets.json'))
  // Simple exponential smoothing: the same optimum (alpha at its bound), criteria and forecast.
  const ann = await ETS.fit(TRAIN, { model: 'ANN' })
  assert.equal(ann.params.alpha, reference.ANN.par[0])
  assert.ok(Math.abs(ann.aicc - reference.ANN.aicc) < 1e-2, `${ann.aicc} vs ${reference.ANN.aicc}`)
  assert.ok(Math.abs(ann.loglik - reference.ANN.loglik) < 1e-2)
  ann.predict(12).mean.forEach((v, i) => assert.ok(Math.abs(v - reference.ANN.mean[i]) < 1e-6 * v, `step ${i + 1}`))
  // The seasonal models: a likelihood at least as high (Nexus's optimizer goes further than
  // statsforecast's Nelder-Mead), and ETS(M,A,M)'s forecast within 1% of statsforecast's.
  for (const code of ['AAdA', 'MNM', 'MAM', 'MAdM']) {
    const fit = await ETS.fit(TRAIN, { model: code, seasonLength: 12 })
    assert.equal(fit.model, reference[code].method)
    assert.ok(fit.aicc <= reference[code].aicc + 1e-6, `${code}: AICc ${fit.aicc} vs ${reference[code].aicc}`)
  }
  const mam = (await ETS.fit(TRAIN, { model: 'MAM', seasonLength: 12 })).predict(12).mean
  mam.forEach((v, i) => assert.ok(Math.abs(v - reference.MAM.mean[i]) < 0.01 * reference.MAM.mean[i], `step ${i + 1}: ${v} vs ${reference.MAM.mean[i]}`))
})

test('forecasting errors carry their code, column and row', async () => {
  const nan = await rejection(AutoETS.fit([...TRAIN.slice(0, 20), Number.NaN, ...TRAIN.slice(21)], { seasonLength: 12 }))
  assert.deepStrictEqual([nan.code, nan.column, nan.row], ['invalid_data', 'y', 20])
  assert.match(nan.message, /NaN/)
  const typedNan = await rejection(AutoETS.fit(Float64Array.from([1, 2, Number.NaN, 4, 5])))
  assert.deepStrictEqual([typedNan.code, typedNan.column, typedNan.row], ['invalid_data', 'y', 2])
  const notNumber = await rejection(AutoETS.fit([1, 2, null, 4, 5]))
  assert.deepStrictEqual([notNumber.code, notNumber.column, notNumber.row], ['invalid_data', 'y', 2])
  assert.equal((await rejection(AutoETS.fit('1,2,3'))).code, 'invalid_argument')
  const short = await rejection(AutoETS.fit([1, 2]))
  assert.deepStrictEqual([short.code, short.column], ['invalid_data', 'y'])
  const negative = await rejection(ETS.fit([1, 2, -3, 4, 5, 6, 7], { model: 'MNN' }))
  assert.deepStrictEqual([negative.code, negative.row], ['invalid_data', 2])
  for (const bad of [{ seasonLength: 0 }, { seasonLength: 1.5 }, { ic: 'hqic' }, { models: ['XYZ'] }, { models: [] }, { season: 12 }]) {
    const err = await rejection(AutoETS.fit(TRAIN, bad))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(bad))
  }
  const unknown = await rejection(AutoETS.fit(TRAIN, { seasonlength: 12 }))
  assert.match(unknown.message, /unknown option seasonlength/)
  const season = await rejection(ETS.fit(TRAIN, { model: 'MAM' }))
  assert.equal(season.code, 'invalid_argument')
  assert.match(season.message, /seasonLength/)
  assert.equal((await rejection(ETS.fit(TRAIN, { model: 'MMM', seasonLength: 12 }))).code, 'invalid_argument')
  assert.equal((await rejection(ETS.fit(TRAIN))).code, 'invalid_argument')

  const fit = await ETS.fit(TRAIN, { model: 'AAN' })
  for (const level of [[120], [0], [80, 80], [Number.NaN]]) {
    const err = thrown(() => fit.predict(12, { level }))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(level))
    assert.match(err.message, /level/)
  }
  assert.equal(thrown(() => fit.predict(-1)).code, 'invalid_argument')
  assert.equal(thrown(() => fit.predict(2.5)).code, 'invalid_argument')
  assert.equal(thrown(() => fit.predict(3, { levels: [80] })).code, 'invalid_argument')
  // No model without a fit.
  assert.throws(() => new AutoETS(), /no `constructor`/)
})

// ---- Many series ------------------------------------------------------------------------------

/** `YYYY-MM-01` of the month `k` months after January `year`. */
const monthStart = (year, k) => `${year + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-01`

/** A seeded generator of noise in [-0.5, 0.5). */
function noise(seed) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32 - 0.5
  }
}

/**
 * Four years of monthly series with a trend, a yearly season and 5% noise, and a two-month
 * series that cannot be fitted.
 */
function longTable() {
  const season = [1.0, 0.9, 1.1, 1.2, 1.0, 0.8, 0.9, 1.0, 1.1, 1.3, 1.2, 0.5]
  const next = noise(7)
  const rows = []
  for (const [k, id] of ['north', 'south', 'east'].entries()) {
    for (let i = 0; i < 48; i++) {
      rows.push({ unique_id: id, ds: monthStart(2020, i), y: (100 + 20 * k + 2 * i) * season[i % 12] * (1 + 0.1 * next()) })
    }
  }
  rows.push({ unique_id: 'new', ds: '2023-11-01', y: 5 }, { unique_id: 'new', ds: '2023-12-01', y: 6 })
  // Any row order.
  return rows.reverse()
}

test('forecastMany: one AutoETS per series in statsforecast long format, a short series in failed', async () => {
  const { forecasts, failed } = await forecastMany(longTable(), { h: 6, level: [80, 95] })
  assert.equal(forecasts.length, 18)
  assert.deepStrictEqual(Object.keys(forecasts[0]), [
    'unique_id', 'ds', 'model', 'AutoETS', 'AutoETS-lo-80', 'AutoETS-hi-80', 'AutoETS-lo-95', 'AutoETS-hi-95',
  ])
  // Sorted by id; the first future month follows the last (2023-12 -> 2024-01).
  assert.deepStrictEqual([...new Set(forecasts.map((r) => r.unique_id))], ['east', 'north', 'south'])
  assert.deepStrictEqual(forecasts.slice(0, 6).map((r) => r.ds), ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01', '2024-06-01'])
  for (const r of forecasts) {
    assert.match(r.model, /^ETS\(/)
    assert.ok(r['AutoETS-lo-95'] < r['AutoETS-lo-80'] && r['AutoETS-lo-80'] < r.AutoETS && r.AutoETS < r['AutoETS-hi-80'] && r['AutoETS-hi-80'] < r['AutoETS-hi-95'])
  }
  // The season is found (monthly dates: 12): each series' January beats its June.
  for (const id of ['east', 'north', 'south']) {
    const rows = forecasts.filter((r) => r.unique_id === id)
    assert.ok(rows[0].AutoETS > rows[5].AutoETS, id)
  }
  assert.equal(failed.length, 1)
  assert.deepStrictEqual(Object.keys(failed[0]), ['id', 'code', 'message'])
  assert.equal(failed[0].id, 'new')
  assert.equal(failed[0].code, 'invalid_data')
  assert.match(failed[0].message, /new/)

  // The same table by column, under other names; the same forecasts.
  const rows = longTable()
  const columns = { series: rows.map((r) => r.unique_id), month: rows.map((r) => new Date(`${r.ds}T00:00:00Z`)), sales: Float64Array.from(rows, (r) => r.y) }
  const again = await forecastMany(columns, { id: 'series', ds: 'month', y: 'sales', h: 6, level: [80, 95] })
  assert.deepStrictEqual(again.forecasts.map((r) => [r.series, r.month, r.AutoETS]), forecasts.map((r) => [r.unique_id, r.ds, r.AutoETS]))
  assert.equal(again.failed[0].id, 'new')

  // AirPassengers as statsforecast ships it (month-end dates): the season of 12 is inferred,
  // the months continue at their ends, and the forecast is AutoETS.fit's on the same series.
  const air = await forecastMany(airPassengers(), { h: 12, level: [95] })
  assert.deepStrictEqual(air.failed, [])
  assert.deepStrictEqual(air.forecasts.slice(0, 3).map((r) => r.ds), ['1961-01-31', '1961-02-28', '1961-03-31'])
  assert.equal(air.forecasts[11].ds, '1961-12-31')
  assert.ok(air.forecasts.every((r) => r.unique_id === 'AirPassengers' && r.model === 'ETS(M,A,M)'))
  const single = (await AutoETS.fit(PASSENGERS, { seasonLength: 12 })).predict(12, { level: [95] })
  assert.deepStrictEqual(air.forecasts.map((r) => r.AutoETS), single.mean)
  assert.deepStrictEqual(air.forecasts.map((r) => r['AutoETS-hi-95']), single.intervals[0].upper)

  // Integer time stamps and ids, an explicit season, no levels.
  const ints = []
  for (let t = 1; t <= 40; t++) ints.push({ unique_id: 7, ds: t, y: 50 + (t % 4) * 10 + t })
  const q = await forecastMany(ints, { h: 4, seasonLength: 4 })
  assert.deepStrictEqual(q.forecasts.map((r) => [r.unique_id, r.ds]), [[7, 41], [7, 42], [7, 43], [7, 44]])
  assert.deepStrictEqual(Object.keys(q.forecasts[0]), ['unique_id', 'ds', 'model', 'AutoETS'])
  assert.match(q.forecasts[0].model, /,[AM]\)$/)
  assert.deepStrictEqual(q.failed, [])

  // Errors of the call as a whole reject.
  assert.equal((await rejection(forecastMany(longTable(), {}))).code, 'invalid_argument')
  assert.equal((await rejection(forecastMany(longTable()))).code, 'invalid_argument')
  assert.equal((await rejection(forecastMany(longTable(), { h: 0 }))).code, 'invalid_argument')
  assert.equal((await rejection(forecastMany(longTable(), { h: 3, level: [100] }))).code, 'invalid_argument')
  assert.equal((await rejection(forecastMany(longTable(), { h: 3, horizon: 3 }))).code, 'invalid_argument')
  const missing = await rejection(forecastMany(longTable(), { h: 3, y: 'sales' }))
  assert.deepStrictEqual([missing.code, missing.column], ['invalid_data', 'sales'])
})

// ---- Sales ------------------------------------------------------------------------------------

/**
 * Three years of monthly orders (2021-2023) in two stores: every month three orders on the
 * 10th of a yearly pattern, growing 1% a month; store b sells half as much. The last order is
 * on 2023-12-31, so December 2023 is complete.
 */
function salesTable() {
  const season = [0.7, 0.6, 0.8, 0.9, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.4, 1.8]
  const rows = []
  let order = 0
  for (let k = 0; k < 36; k++) {
    const base = 100 * season[k % 12] * 1.01 ** k
    const date = monthStart(2021, k).slice(0, 8) + (k === 35 ? '31' : '10')
    for (const [store, share] of [['a', 1], ['b', 0.5]]) {
      for (const part of [0.5, 0.3, 0.2]) {
        order += 1
        rows.push({ customer_id: `c${order % 7}`, order_id: order, date, amount: Math.round(base * share * part * 100) / 100, items: 2, store })
      }
    }
  }
  return rows
}

test('forecastSales: a seasonal monthly revenue forecast, overall and by store', async () => {
  const tx = salesTable()
  const { forecasts, failed } = await forecastSales(tx, { freq: 'month', h: 12 })
  assert.deepStrictEqual(failed, [])
  assert.equal(forecasts.length, 12)
  assert.deepStrictEqual(Object.keys(forecasts[0]), ['period', 'model', 'mean', 'lo-80', 'hi-80', 'lo-95', 'hi-95'])
  assert.deepStrictEqual(forecasts.map((r) => r.period), Array.from({ length: 12 }, (_, k) => monthStart(2024, k)))
  // A seasonal model of the 36 months, whose forecast repeats the pattern: December is the
  // peak and February the trough, above the last year's (the trend).
  assert.match(forecasts[0].model, /^ETS\([AM],(N|A|Ad),[AM]\)$/)
  const mean = forecasts.map((r) => r.mean)
  assert.equal(mean.indexOf(Math.max(...mean)), 11)
  assert.equal(mean.indexOf(Math.min(...mean)), 1)
  const lastDecember = 150 * 1.8 * 1.01 ** 35
  assert.ok(mean[11] > lastDecember * 0.95 && mean[11] < lastDecember * 1.3, `${mean[11]} vs ${lastDecember}`)
  for (const r of forecasts) assert.ok(r['lo-95'] <= r['lo-80'] && r['lo-80'] <= r.mean && r.mean <= r['hi-80'] && r['hi-80'] <= r['hi-95'])

  // By store: one series each, keyed `group`; store b sells about half of store a.
  const byStore = await forecastSales(tx, { by: 'store', h: 3, level: [90] })
  assert.equal(byStore.forecasts.length, 6)
  assert.deepStrictEqual(Object.keys(byStore.forecasts[0]), ['group', 'period', 'model', 'mean', 'lo-90', 'hi-90'])
  assert.deepStrictEqual(byStore.forecasts.map((r) => r.group), ['a', 'a', 'a', 'b', 'b', 'b'])
  const ratio = byStore.forecasts[3].mean / byStore.forecasts[0].mean
  assert.ok(Math.abs(ratio - 0.5) < 0.05, `${ratio}`)

  // Orders and units per month: six orders and twelve items every month.
  const orders = await forecastSales(tx, { measure: 'orders', h: 2, level: [] })
  assert.deepStrictEqual(Object.keys(orders.forecasts[0]), ['period', 'model', 'mean'])
  orders.forecasts.forEach((r) => assert.ok(Math.abs(r.mean - 6) < 1e-6, `${r.mean}`))
  const units = await forecastSales(tx, { measure: 'units', items: 'items', h: 2 })
  units.forecasts.forEach((r) => assert.ok(Math.abs(r.mean - 12) < 1e-6, `${r.mean}`))

  // A month the table ends before is left out of the history: without December's orders the
  // table ends on 2023-11-10, so November is incomplete and the forecast starts with it.
  const cut = await forecastSales(tx.filter((r) => r.date < '2023-12-01'), { h: 1 })
  assert.equal(cut.forecasts[0].period, '2023-11-01')
  // Quarterly, and from columns with Date objects.
  const columns = { customer_id: tx.map((r) => r.customer_id), order_id: tx.map((r) => r.order_id), date: tx.map((r) => new Date(r.date)), amount: Float64Array.from(tx, (r) => r.amount) }
  const quarters = await forecastSales(columns, { freq: 'quarter', h: 4 })
  assert.deepStrictEqual(quarters.forecasts.map((r) => r.period), ['2024-01-01', '2024-04-01', '2024-07-01', '2024-10-01'])
})

test('forecastSales errors', async () => {
  const tx = salesTable()
  // Two months of history cannot be forecast: without `by` that rejects.
  const short = await rejection(forecastSales(tx.filter((r) => r.date < '2021-03-01'), { h: 3 }))
  assert.equal(short.code, 'invalid_data')
  for (const bad of [{ freq: 'fortnight' }, { measure: 'profit' }, { h: 0 }, { level: [95, 95] }, { level: [0] }, { seasonLength: 0 }, { period: 'month' }, { start: 'soon' }, { refunded: 'refunded' }]) {
    const err = await rejection(forecastSales(tx, bad))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(bad))
  }
  assert.match((await rejection(forecastSales(tx, { freq: 'fortnight' }))).message, /freq/)
  // Units need an items column.
  assert.equal((await rejection(forecastSales(tx, { measure: 'units' }))).code, 'invalid_argument')
  const negative = await rejection(forecastSales(tx.map((r, i) => (i === 4 ? { ...r, amount: -1 } : r))))
  assert.deepStrictEqual([negative.code, negative.column, negative.row], ['invalid_data', 'amount', 4])
})

// ---- Products ---------------------------------------------------------------------------------

/**
 * 91 days of order lines, Monday 2024-01-01 to Sunday 2024-03-31 (13 full weeks), one order
 * per line. The 90-day window ending on 2024-03-31 starts on 2024-01-02. In it:
 * - mug: 2 units for 20 every day: 1,800 (82.2% of 2,190): class A, steady demand (X);
 * - tee: 1 unit for 10 every third day from 01-01: 30 lines, 300; one unit refunded: B;
 * - cap: 1 unit for 10 every tenth day from 01-06: 9 lines, 90: C;
 * - old: one sale on 2024-01-01, before the window: no revenue (C), 90 days without a sale:
 *   dead stock.
 */
function linesTable() {
  const lines = []
  const day = (d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10)
  for (let d = 0; d < 91; d++) {
    lines.push({ product: 'mug', name: 'Mug', date: day(d), quantity: 2, amount: 20, refunded: 0 })
    if (d % 3 === 0) lines.push({ product: 'tee', name: 'T-shirt', date: day(d), quantity: 1, amount: 10, refunded: d === 30 ? 1 : 0 })
    if (d % 10 === 5) lines.push({ product: 'cap', name: 'Cap', date: day(d), quantity: 1, amount: 10, refunded: 0 })
  }
  lines.push({ product: 'old', name: 'Old stock', date: day(0), quantity: 5, amount: 50, refunded: 0 })
  return lines.map((l, i) => ({ ...l, order: `o${i}` }))
}

test('productPerformance: ranking, ABC and XYZ classes, dead stock and a forecast per product', async () => {
  const p = await productPerformance(linesTable(), { name: 'name', refunded: 'refunded' })
  assert.deepStrictEqual(Object.keys(p), ['products', 'summary', 'asOf', 'window', 'forecastStart'])
  assert.equal(p.asOf, '2024-03-31')
  assert.deepStrictEqual(p.window, ['2024-01-02', '2024-03-31'])
  assert.equal(p.forecastStart, '2024-04-01')
  const byId = Object.fromEntries(p.products.map((r) => [r.product, r]))
  assert.deepStrictEqual(p.products.map((r) => r.product), ['mug', 'tee', 'cap', 'old'])
  assert.deepStrictEqual(p.products.map((r) => r.abc), ['A', 'B', 'C', 'C'])
  assert.deepStrictEqual(p.products.map((r) => r.revenue), [1800, 300, 90, 0])
  const mug = byId.mug
  assert.equal(mug.name, 'Mug')
  assert.deepStrictEqual([mug.units, mug.orders, mug.avgPrice, mug.velocity], [180, 90, 10, 2])
  assert.ok(Math.abs(mug.share - 1800 / 2190) < 1e-12)
  assert.ok(Math.abs(byId.tee.cumulativeShare - 2100 / 2190) < 1e-12)
  // Steady weekly demand (14 units): variation 0, class X, no trend.
  assert.deepStrictEqual([mug.cv, mug.xyz, mug.trend], [0, 'X', 'flat'])
  assert.equal(byId.old.xyz, 'Z')
  assert.ok(Math.abs(byId.tee.refundRate - 1 / 30) < 1e-12)
  assert.equal(mug.refundRate, 0)
  assert.deepStrictEqual([byId.old.lastSale, byId.old.daysSinceLastSale], ['2024-01-01', 90])
  assert.deepStrictEqual([mug.firstSale, mug.lastSale, mug.daysSinceLastSale], ['2024-01-01', '2024-03-31', 0])
  // A forecast of 4 weeks of 14 mugs.
  assert.equal(typeof mug.forecastMethod, 'string')
  assert.equal(mug.forecastError, null)
  assert.ok(Math.abs(mug.forecastTotal - 56) < 1e-6, `${mug.forecastTotal}`)
  assert.deepStrictEqual(Object.keys(mug), [
    'product', 'name', 'revenue', 'units', 'orders', 'avgPrice', 'share', 'cumulativeShare', 'abc', 'cv', 'xyz', 'velocity',
    'trend', 'trendSlope', 'trendRelativeSlope', 'trendPValue', 'refundRate', 'firstSale', 'lastSale', 'daysSinceLastSale',
    'forecastMethod', 'forecastTotal', 'forecastError',
  ])

  // The lists: the three sellers by revenue, and the dead stock.
  const list = (name) => p.summary.filter((r) => r.list === name)
  assert.deepStrictEqual(list('top_sellers').map((r) => [r.rank, r.product, r.value]), [[1, 'mug', 1800], [2, 'tee', 300], [3, 'cap', 90]])
  assert.deepStrictEqual(list('dead_stock').map((r) => [r.product, r.name, r.figure, r.value]), [['old', 'Old stock', 'days_since_last_sale', 90]])
  assert.deepStrictEqual(Object.keys(p.summary[0]), ['list', 'rank', 'product', 'name', 'revenue', 'units', 'value', 'figure'])

  // Options: a shorter top list, a stricter dead-stock threshold, an earlier day, no forecast.
  const q = await productPerformance(linesTable(), { top: 1, deadDays: 100, asOf: '2024-03-17', h: 0, period: 'month' })
  assert.equal(q.asOf, '2024-03-17')
  assert.deepStrictEqual(q.summary.filter((r) => r.list === 'top_sellers').map((r) => r.product), ['mug'])
  assert.deepStrictEqual(q.summary.filter((r) => r.list === 'dead_stock'), [])
  assert.ok(q.products.every((r) => r.forecastMethod === null && r.forecastTotal === null))
  assert.ok(!('name' in q.products[0]) && !('refundRate' in q.products[0]))
  // Other column names, each line its own order, from columns.
  const lines = linesTable()
  const columns = { sku: lines.map((l) => l.product), day: lines.map((l) => Date.parse(l.date)), units: lines.map((l) => l.quantity), total: lines.map((l) => String(l.amount)) }
  const r = await productPerformance(columns, { product: 'sku', date: 'day', quantity: 'units', amount: 'total', order: null })
  assert.deepStrictEqual(r.products.map((x) => [x.product, x.revenue, x.orders]), [['mug', 1800, 90], ['tee', 300, 30], ['cap', 90, 9], ['old', 0, 0]])
})

test('productPerformance errors', async () => {
  const lines = linesTable()
  for (const bad of [{ windowDays: 0 }, { deadDays: 0 }, { trendPeriods: 2 }, { trendAlpha: 1 }, { abc: [0.9, 0.8] }, { top: -1 }, { level: [101] }, { asOf: '2023-01-01' }, { period: 'fortnight' }, { window: 90 }]) {
    const err = await rejection(productPerformance(lines, bad))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(bad))
  }
  assert.match((await rejection(productPerformance(lines, { trendPeriods: 2 }))).message, /trendPeriods/)
  assert.match((await rejection(productPerformance(lines, { asOf: '2023-01-01' }))).message, /asOf/)
  const negative = await rejection(productPerformance(lines.map((l, i) => (i === 3 ? { ...l, quantity: -2 } : l))))
  assert.deepStrictEqual([negative.code, negative.column, negative.row], ['invalid_data', 'quantity', 3])
  const missing = await rejection(productPerformance(lines, { amount: 'revenue' }))
  assert.deepStrictEqual([missing.code, missing.column], ['invalid_data', 'revenue'])
  assert.equal((await rejection(productPerformance([]))).code, 'invalid_data')
})
