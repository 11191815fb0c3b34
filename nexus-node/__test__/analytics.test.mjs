// The customer analytics through the Node binding: the BTYD summary on the CDNOW sample,
// RFM, KPIs and cohorts on the small tables of the Rust tests (same expected values), the
// input shapes, the errors with their code, column and row, the lifetime-value models
// reproducing the published CDNOW estimates, and the k-means segments and purchase
// propensity on the CDNOW sample (the numbers of the Rust run).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import { rejection } from './helpers.mjs'

import {
  BetaGeo,
  FittedBetaGeo,
  FittedGammaGamma,
  GammaGamma,
  ModifiedBetaGeo,
  ParetoNBD,
  cohorts,
  kpis,
  purchasePropensity,
  rfm,
  rfmSegments,
  segmentCustomers,
  summaryData,
} from '../index.js'

const data = (name) => readFileSync(new URL(`../../tests/data/${name}`, import.meta.url), 'utf8')

/** The CDNOW sample (master id, sample id, YYYYMMDD, CDs, dollars) as one object per order. */
function cdnow() {
  return data('CDNOW_sample.txt')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [, id, date, , dollars] = line.trim().split(/\s+/)
      return { customer_id: Number(id), date, amount: Number(dollars) }
    })
}

/** A CSV of numbers with a header, as one object per row. */
function csv(name) {
  const [header, ...lines] = data(name).trim().split(/\r?\n/)
  const keys = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i], Number(v)])))
}

// The table of `scores_and_segments_by_hand` in nexus-core/src/analytics/rfm.rs: seven
// customers; customer 1 buys twice on 2024-01-05 (two orders, one day).
const RFM_TABLE = {
  customer_id: [1, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5, 6, 7],
  order_id: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  date: ['2024-01-01', '2024-01-05', '2024-01-05', '2024-01-10', '2024-01-02', '2024-01-20', '2024-01-30',
    '2024-01-03', '2024-01-04', '2024-01-15', '2024-01-31', '2024-01-01', '2024-01-25'],
  amount: [10, 20, 30, 5, 8, 12, 100, 1, 2, 3, 4, 7, 50],
}

/** Columns to rows (the keys of `columns` are the rows' keys). */
const rowsOf = (columns) =>
  columns[Object.keys(columns)[0]].map((_, i) => Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v[i]])))

// The table of the kpi.rs tests. Alice: Jan (2 orders), Mar. Bob: Jan, Feb. Cy: Mar (2 rows
// of one order).
const KPI_TABLE = rowsOf({
  customer_id: ['alice', 'alice', 'bob', 'bob', 'alice', 'cy', 'cy'],
  order_id: [1, 2, 3, 4, 5, 6, 6],
  date: ['2024-01-05', '2024-01-20', '2024-01-10', '2024-02-02', '2024-03-01', '2024-03-15', '2024-03-15'],
  amount: [10, 30, 20, 5, 15, 8, 2],
  items: [1, 3, 2, 1, 1, 1, 1],
  refunded: [0, 10, 0, 0, 0, 0, 0],
  store: ['a', 'a', 'b', 'a', 'a', 'b', 'b'],
})

test('the CDNOW summary equals the published one (x, t_x, T, zbar to the cent)', async () => {
  const tx = cdnow()
  assert.equal(tx.length, 6919)
  const summary = await summaryData(tx, {
    calibrationEnd: '1997-09-30',
    observationEnd: new Date('1998-06-30T00:00:00Z'),
    unit: 'weeks',
  })
  const expected = csv('cdnow_customers_summary_with_transactions.csv')
  assert.equal(summary.length, expected.length)
  const close = (ours, theirs) => Math.abs(ours - theirs) <= 0.005 + 1e-9
  for (const [i, row] of expected.entries()) {
    const s = summary[i]
    assert.equal(s.customerId, row.ID)
    assert.equal(s.frequency, row.x, `x of ${row.ID}`)
    assert.ok(close(s.recency, row.t_x), `t_x of ${row.ID}: ${s.recency} vs ${row.t_x}`)
    assert.ok(close(s.T, row.T), `T of ${row.ID}: ${s.T} vs ${row.T}`)
    assert.ok(close(s.monetaryValue, row.zbar), `zbar of ${row.ID}: ${s.monetaryValue} vs ${row.zbar}`)
  }
  assert.deepStrictEqual(Object.keys(summary[0]), [
    'customerId', 'frequency', 'recency', 'T', 'monetaryValue', 'frequencyHoldout', 'monetaryValueHoldout', 'durationHoldout',
  ])
  assert.ok(Math.abs(summary[0].durationHoldout - 273 / 7) < 1e-12)
  assert.ok(summary.some((s) => s.frequencyHoldout > 0))
  // The same table by column, dates as epoch milliseconds, amounts as a Float64Array.
  const columns = {
    customer_id: tx.map((t) => t.customer_id),
    date: tx.map((t) => Date.UTC(+t.date.slice(0, 4), +t.date.slice(4, 6) - 1, +t.date.slice(6))),
    amount: Float64Array.from(tx, (t) => t.amount),
  }
  const again = await summaryData(columns, { calibrationEnd: Date.UTC(1997, 8, 30), observationEnd: '1998-06-30', unit: 'weeks' })
  assert.deepStrictEqual(again, summary)
})

test('summaryData without a calibration end has no hold-out columns, time in days', async () => {
  const summary = await summaryData(RFM_TABLE)
  assert.deepStrictEqual(summary.map((s) => s.customerId), [1, 2, 3, 4, 5, 6, 7])
  // Customer 1: days Jan 1 and Jan 5 (two orders): one repeat day worth 50.
  assert.deepStrictEqual(summary[0], { customerId: 1, frequency: 1, recency: 4, T: 30, monetaryValue: 50 })
  assert.deepStrictEqual([summary[4].frequency, summary[4].recency, summary[4].T, summary[4].monetaryValue], [3, 28, 28, 3])
})

test('RFM scores and segments of the Rust test, from rows and from columns', async () => {
  for (const table of [RFM_TABLE, rowsOf(RFM_TABLE)]) {
    const r = await rfm(table)
    assert.deepStrictEqual(r.map((x) => x.customerId), [1, 2, 3, 4, 5, 6, 7])
    assert.deepStrictEqual(r.map((x) => x.recency), [27, 22, 12, 2, 1, 31, 7])
    assert.deepStrictEqual(r.map((x) => x.frequency), [3, 1, 2, 1, 4, 1, 1])
    assert.deepStrictEqual(r.map((x) => x.monetary), [60, 5, 20, 100, 10, 7, 50])
    assert.deepStrictEqual(r.map((x) => x.rScore), [1, 2, 3, 5, 5, 1, 4])
    assert.deepStrictEqual(r.map((x) => x.fScore), [5, 1, 4, 1, 5, 2, 3])
    assert.deepStrictEqual(r.map((x) => x.mScore), [5, 1, 3, 5, 2, 1, 4])
    assert.deepStrictEqual(r.map((x) => x.segment), [
      "Can't Lose Them", 'Hibernating', 'Loyal Customers', 'New Customers', 'Champions', 'Hibernating', 'Potential Loyalist',
    ])
    assert.deepStrictEqual(r[0], {
      customerId: 1, recency: 27, frequency: 3, monetary: 60, rScore: 1, fScore: 5, mScore: 5, rfmCell: '155', rfmScore: 11, segment: "Can't Lose Them",
    })
  }
  const segments = await rfmSegments(RFM_TABLE)
  const hib = segments.find((s) => s.segment === 'Hibernating')
  assert.equal(hib.customers, 2)
  assert.ok(Math.abs(hib.revenueShare - 12 / 252) < 1e-12)
  assert.equal(hib.recency, 26.5)
  assert.equal(segments.reduce((n, s) => n + s.customers, 0), 7)
  assert.deepStrictEqual(Object.keys(hib), ['segment', 'customers', 'customerShare', 'revenue', 'revenueShare', 'recency', 'frequency', 'monetary'])
})

test('RFM with asOf and user segment rules (first match wins, a missing range is any score)', async () => {
  const r = await rfm(RFM_TABLE, {
    asOf: new Date('2024-02-11T00:00:00Z'),
    segments: [
      { name: 'Big', m: 5 },
      { name: 'Recent', r: [4, 5] },
    ],
  })
  assert.deepStrictEqual(r.map((x) => x.recency), [37, 32, 22, 12, 11, 41, 17])
  assert.deepStrictEqual(r.map((x) => x.segment), ['Big', 'Others', 'Others', 'Big', 'Recent', 'Others', 'Recent'])
  const named = await rfm(RFM_TABLE, { segments: 'rfm_rules' })
  assert.equal(named[0].segment, "Can't Lose Them") // scores 1, 5, 5
  assert.equal(named[4].segment, 'Others') // scores 5, 5, 2: no rule of the map matches
  assert.equal((await rejection(rfm(RFM_TABLE, { segments: 'nope' }))).code, 'invalid_argument')
  assert.equal((await rejection(rfm(RFM_TABLE, { segments: [{ name: 'x', r: [0, 5] }] }))).code, 'invalid_argument')
  const late = await rejection(rfm(RFM_TABLE, { asOf: '2024-01-02' }))
  assert.equal(late.code, 'invalid_argument')
  assert.match(late.message, /before the last purchase/)
})

test('monthly KPIs of the Rust test', async () => {
  const k = await kpis(KPI_TABLE, { period: 'month', items: 'items', refunded: 'refunded' })
  assert.equal(k.length, 3)
  const [jan, feb, mar] = k
  assert.deepStrictEqual(jan, {
    period: '2024-01-01',
    revenue: 60,
    orders: 3,
    customers: 2,
    aov: 20,
    itemsPerOrder: 2,
    newCustomers: 2,
    returningCustomers: 0,
    newRevenue: 60,
    returningRevenue: 0,
    repeatRate: 0.5,
    refundRate: 10 / 60,
    revenuePerCustomer: 30,
  })
  assert.deepStrictEqual([feb.period, feb.revenue, feb.newCustomers, feb.returningCustomers, feb.returningRevenue], ['2024-02-01', 5, 0, 1, 5])
  // March: Alice returns (15), Cy is new with one order of two rows (10).
  assert.deepStrictEqual([mar.orders, mar.customers, mar.newCustomers, mar.newRevenue, mar.returningRevenue], [2, 2, 1, 10, 15])
  assert.equal(mar.revenuePerCustomer, 90 / 3)
  // Without items and refunded, their columns are left out.
  assert.ok(!('itemsPerOrder' in (await kpis(KPI_TABLE))[0]))
})

test('KPIs by store fill the empty periods', async () => {
  const k = await kpis(KPI_TABLE, { by: 'store' })
  assert.deepStrictEqual(k.map((r) => [r.group, r.period, r.revenue, r.newCustomers]), [
    ['a', '2024-01-01', 40, 1],
    ['a', '2024-02-01', 5, 1], // Bob's first order in store a
    ['a', '2024-03-01', 15, 0],
    ['b', '2024-01-01', 20, 1],
    ['b', '2024-02-01', 0, 0],
    ['b', '2024-03-01', 10, 1],
  ])
  assert.equal(k[4].aov, null)
})

test('cohort retention of the Rust test', async () => {
  const c = await cohorts(KPI_TABLE, { period: 'month' })
  // January cohort: Alice and Bob. Feb: Bob only; Mar: Alice only. March cohort: Cy.
  assert.deepStrictEqual(c.filter((x) => x.cohort === '2024-01-01').map((x) => [x.offset, x.active, x.retention, x.revenue]), [
    [0, 2, 1, 60],
    [1, 1, 0.5, 5],
    [2, 1, 0.5, 15],
  ])
  const mar = c.filter((x) => x.cohort === '2024-03-01')
  assert.deepStrictEqual(mar, [{ cohort: '2024-03-01', offset: 0, period: '2024-03-01', size: 1, active: 1, retention: 1, revenue: 10, revenuePerCustomer: 10 }])
  assert.equal(c.length, 4)
  const weeks = await cohorts(KPI_TABLE, { period: 'week' })
  assert.equal(weeks[0].cohort, '2024-01-01') // Friday 2024-01-05's week starts Monday 2024-01-01
})

test('inputs: camelCase keys through the column options, Dates, text amounts, no order column', async () => {
  const rows = rowsOf(RFM_TABLE).map((r) => ({ customerId: `c${r.customer_id}`, date: new Date(`${r.date}T12:00:00Z`), total: String(r.amount) }))
  const r = await rfm(rows, { customer: 'customerId', order: null, amount: 'total' })
  assert.deepStrictEqual(r.map((x) => x.customerId), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'])
  assert.deepStrictEqual(r.map((x) => x.monetary), [60, 5, 20, 100, 10, 7, 50])
  // Without order ids each row is an order.
  assert.deepStrictEqual(r.map((x) => x.frequency), [3, 1, 2, 1, 4, 1, 1])
  // Dates and epoch milliseconds mixed in one column.
  const mixed = rowsOf(RFM_TABLE).map((row, i) => ({ ...row, date: i % 2 ? Date.parse(row.date) : new Date(row.date) }))
  assert.deepStrictEqual((await rfm(mixed)).map((x) => x.recency), [27, 22, 12, 2, 1, 31, 7])
  // Keys that are not asked for are not read.
  assert.equal((await rfm(rowsOf(RFM_TABLE).map((x) => ({ ...x, extra: { nested: [1] } })))).length, 7)
})

test('errors carry the code, and the column and row at fault', async () => {
  const rows = rowsOf(RFM_TABLE)
  const negative = await rejection(rfm(rows.map((r, i) => (i === 3 ? { ...r, amount: -1 } : r))))
  assert.equal(negative.code, 'invalid_data')
  assert.equal(negative.column, 'amount')
  assert.equal(negative.row, 3)
  const badDate = await rejection(summaryData(rows.map((r, i) => (i === 5 ? { ...r, date: 'soon' } : r))))
  assert.deepStrictEqual([badDate.code, badDate.column, badDate.row], ['invalid_data', 'date', 5])
  const missingValue = await rejection(rfm(rows.map((r, i) => (i === 2 ? { ...r, customer_id: undefined } : r))))
  assert.deepStrictEqual([missingValue.code, missingValue.column, missingValue.row], ['invalid_data', 'customer_id', 2])
  assert.match(missingValue.message, /null/)
  const noColumn = await rejection(rfm(rows, { amount: 'total' }))
  assert.deepStrictEqual([noColumn.code, noColumn.column, noColumn.row], ['invalid_data', 'total', null])
  const lengths = await rejection(rfm({ ...RFM_TABLE, amount: [1, 2] }))
  assert.deepStrictEqual([lengths.code, lengths.column], ['invalid_data', 'amount'])
  const notObject = await rejection(rfm([rows[0], 42]))
  assert.deepStrictEqual([notObject.code, notObject.column, notObject.row], ['invalid_data', null, 1])
  const nested = await rejection(rfm(rows.map((r, i) => (i === 1 ? { ...r, amount: { value: 1 } } : r))))
  assert.deepStrictEqual([nested.code, nested.column, nested.row], ['invalid_data', 'amount', 1])
  const empty = await rejection(rfm([]))
  assert.equal(empty.code, 'invalid_data')
  assert.match(empty.message, /no transactions/)
  // Arguments.
  const misspelt = await rejection(rfm(rows, { asof: '2024-02-01' }))
  assert.equal(misspelt.code, 'invalid_argument')
  assert.match(misspelt.message, /unknown option asof/)
  // summaryData reads no order column, so it does not take the option.
  assert.equal((await rejection(summaryData(rows, { order: 'order_id' }))).code, 'invalid_argument')
  assert.equal((await rejection(kpis(rows, { period: 'fortnight' }))).code, 'invalid_argument')
  assert.equal((await rejection(summaryData(rows, { unit: 'months' }))).code, 'invalid_argument')
  assert.equal((await rejection(summaryData(rows, { calibrationEnd: 'tomorrow' }))).code, 'invalid_argument')
  const calibration = await rejection(summaryData(rows, { calibrationEnd: '2024-02-01' }))
  assert.equal(calibration.code, 'invalid_argument')
  assert.equal((await rejection(rfm('not a table'))).code, 'invalid_argument')
  assert.equal((await rejection(rfm({ customer_id: 'abc', date: [], amount: [] }))).code, 'invalid_data')
})

// ---- Lifetime-value models ------------------------------------------------------------------

/** The 39-week CDNOW calibration summary (`ID,frequency,recency,T`) by column. */
function cdnowSummary() {
  const rows = csv('cdnow_customers_summary.csv')
  return {
    frequency: rows.map((r) => r.frequency),
    recency: Float64Array.from(rows, (r) => r.recency),
    T: Float64Array.from(rows, (r) => r.T),
  }
}

const rel = (ours, theirs) => Math.abs(ours - theirs) / Math.abs(theirs)

test('BG/NBD on the CDNOW summary reproduces the published estimates, and predicts', async () => {
  const data = cdnowSummary()
  const model = await BetaGeo.fit(data)
  assert.ok(model instanceof FittedBetaGeo)
  const p = model.params
  // Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, log-likelihood -9582.4.
  assert.deepStrictEqual([p.r, p.alpha, p.a, p.b].map((v) => v.toFixed(3)), ['0.243', '4.414', '0.793', '2.426'])
  assert.ok(Math.abs(model.logLikelihood - -9582.4) < 0.05, `${model.logLikelihood}`)
  assert.equal(model.nCustomers, 2357)
  const se = model.standardErrors
  assert.deepStrictEqual(Object.keys(se), ['r', 'alpha', 'a', 'b'])
  assert.ok(Object.values(se).every((v) => Number.isFinite(v) && v > 0))

  const next = await model.expectedPurchases(10, data)
  assert.ok(next instanceof Float64Array)
  assert.equal(next.length, 2357)
  assert.ok(next.every((v) => v >= 0 && Number.isFinite(v)))
  const alive = await model.probabilityAlive(data)
  assert.ok(alive.every((v) => v >= 0 && v <= 1))
  // No repeat purchase: a BG/NBD customer cannot have dropped out yet.
  assert.equal(alive[data.frequency.indexOf(0)], 1)
  const one = model.expectedPurchasesNew(39)
  assert.equal(typeof one, 'number')
  const several = model.expectedPurchasesNew([1, 39, 78])
  assert.ok(several instanceof Float64Array)
  assert.equal(several[1], one)
  assert.ok(several[0] < several[1] && several[1] < several[2])
  const pmf = model.probabilityOfPurchases(Array.from({ length: 200 }, (_, n) => n), 39)
  assert.ok(pmf.every((v) => v >= 0 && v < 1))
  assert.ok(pmf[0] > pmf[1] && pmf[1] > pmf[10])
  assert.ok(Math.abs(pmf.reduce((a, b) => a + b, 0) - 1) < 1e-6)
  assert.equal(model.probabilityOfPurchases(2, 39), pmf[2])

  // A model from the same parameters predicts the same, without fit statistics.
  const known = FittedBetaGeo.fromParams(p)
  assert.equal(known.logLikelihood, null)
  assert.equal(known.standardErrors, null)
  assert.equal(known.nCustomers, 0)
  assert.deepStrictEqual(await known.expectedPurchases(10, data), next)
})

test('the rows of summaryData fit the models directly', async () => {
  const summary = await summaryData(cdnow(), { calibrationEnd: '1997-09-30', observationEnd: '1998-06-30', unit: 'weeks' })
  const model = await BetaGeo.fit(summary)
  const published = (await BetaGeo.fit(cdnowSummary())).params
  // The published summary rounds times to two decimals: the estimates agree closely.
  for (const k of ['r', 'alpha', 'a', 'b']) assert.ok(rel(model.params[k], published[k]) < 1e-2, k)
  const spend = await GammaGamma.fit(summary.filter((s) => s.frequency > 0))
  assert.equal(spend.nCustomers, 946)
  const clv = await spend.clv(model, summary, { months: 12, discountRate: 0.01, unit: 'weeks' })
  assert.equal(clv.length, summary.length)
  assert.ok(clv.every((v) => Number.isFinite(v) && v >= 0))
})

test('MBG/NBD and Pareto/NBD on the CDNOW summary', async () => {
  const data = cdnowSummary()
  const pareto = await ParetoNBD.fit(data)
  // Fader, Hardie & Lee (2005): r 0.553, alpha 10.578, s 0.606, beta 11.669, log-likelihood -9595.0.
  const p = pareto.params
  for (const [k, v] of Object.entries({ r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 })) {
    assert.ok(rel(p[k], v) < 5e-3, `${k}: ${p[k]}`)
  }
  assert.ok(Math.abs(pareto.logLikelihood - -9595.0) < 0.1, `${pareto.logLikelihood}`)
  const alive = await pareto.probabilityAlive(data)
  assert.ok(alive.every((v) => v > 0 && v <= 1))
  const mbg = await ModifiedBetaGeo.fit(data, { penalizer: 0 })
  assert.deepStrictEqual(Object.keys(mbg.params), ['r', 'alpha', 'a', 'b'])
  assert.ok(mbg.logLikelihood < 0 && mbg.logLikelihood > -9700)
  // Weights: each distinct history once, weighted by its count, gives the same fit.
  const counts = new Map()
  for (let i = 0; i < data.frequency.length; i++) {
    const key = `${data.frequency[i]},${data.recency[i]},${data.T[i]}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const distinct = [...counts.keys()].map((k) => k.split(',').map(Number))
  const weighted = await BetaGeo.fit(
    { frequency: distinct.map((d) => d[0]), recency: distinct.map((d) => d[1]), T: distinct.map((d) => d[2]) },
    { weights: [...counts.values()] },
  )
  const plain = await BetaGeo.fit(data)
  for (const k of ['r', 'alpha', 'a', 'b']) assert.ok(rel(weighted.params[k], plain.params[k]) < 1e-6, k)
})

test('Gamma-Gamma on the repeat buyers reproduces the published estimates; CLV', async () => {
  const rows = csv('cdnow_customers_summary_with_transactions.csv')
  const repeat = rows.filter((r) => r.x > 0)
  assert.equal(repeat.length, 946)
  const spend = await GammaGamma.fit({ frequency: repeat.map((r) => r.x), monetaryValue: repeat.map((r) => r.zbar) })
  assert.ok(spend instanceof FittedGammaGamma)
  // Fader, Hardie & Lee (2005, JMR; note 025): p 6.25, q 3.74, gamma (v) 15.44. The maximum
  // is at v = 15.447 (lifetimes finds it too), so compare as the core does, within 0.5%.
  const p = spend.params
  assert.deepStrictEqual([p.p.toFixed(2), p.q.toFixed(2)], ['6.25', '3.74'])
  for (const [k, v] of Object.entries({ p: 6.25, q: 3.74, v: 15.44 })) assert.ok(rel(p[k], v) < 5e-3, `${k}: ${p[k]}`)
  assert.equal(spend.nCustomers, 946)
  assert.ok(Object.values(spend.standardErrors).every((v) => v > 0))
  assert.ok(Math.abs(spend.populationMean - (p.p * p.v) / (p.q - 1)) < 1e-12)

  const data = { frequency: rows.map((r) => r.x), recency: rows.map((r) => r.t_x), T: rows.map((r) => r.T), monetaryValue: rows.map((r) => r.zbar) }
  const value = await spend.expectedAverageValue(data)
  // Without repeat purchases: the population mean.
  assert.ok(Math.abs(value[data.frequency.indexOf(0)] - spend.populationMean) < 1e-9)
  const bg = await BetaGeo.fit(data)
  // One month, no discount: the expected purchases in the next 30 days (30/7 weeks) times the value.
  const month = await spend.clv(bg, data, { months: 1, discountRate: 0, unit: 'weeks' })
  const purchases = await bg.expectedPurchases(30 / 7, data)
  for (const i of [0, 1, 5, 100]) assert.ok(Math.abs(month[i] - purchases[i] * value[i]) < 1e-9 * Math.max(1, month[i]), `${i}`)
  const year = await spend.clv(bg, data)
  assert.ok(year.every((v, i) => v >= month[i] - 1e-9))
  const known = FittedGammaGamma.fromParams({ p: 6.25, q: 3.74, v: 15.44 })
  assert.equal(known.logLikelihood, null)
})

test('model errors carry their code, column and row', async () => {
  const data = cdnowSummary()
  const late = { ...data, recency: Float64Array.from(data.recency, (v, i) => (i === 7 ? 99 : v)) }
  const afterT = await rejection(BetaGeo.fit(late))
  assert.deepStrictEqual([afterT.code, afterT.column, afterT.row], ['invalid_data', 'recency', 7])
  const nulls = await rejection(BetaGeo.fit({ ...data, T: [...data.T].map((v, i) => (i === 3 ? null : v)) }))
  assert.deepStrictEqual([nulls.code, nulls.column, nulls.row], ['invalid_data', 'T', 3])
  const short = await rejection(BetaGeo.fit({ ...data, T: [1, 2] }))
  assert.deepStrictEqual([short.code, short.column], ['invalid_data', 'T'])
  const missing = await rejection(ParetoNBD.fit({ frequency: data.frequency, recency: data.recency }))
  assert.deepStrictEqual([missing.code, missing.column], ['invalid_data', 'T'])
  const noRepeat = await rejection(BetaGeo.fit({ frequency: [0, 0], recency: [0, 0], T: [5, 6] }))
  assert.equal(noRepeat.code, 'fit_failed')
  assert.equal((await rejection(GammaGamma.fit({ frequency: [0, 0], monetaryValue: [0, 0] }))).code, 'fit_failed')
  assert.equal((await rejection(BetaGeo.fit(data, { penalizer: -1 }))).code, 'invalid_argument')
  assert.equal((await rejection(BetaGeo.fit(data, { penaliser: 0.1 }))).code, 'invalid_argument')
  const model = FittedBetaGeo.fromParams({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })
  assert.equal((await rejection(model.expectedPurchases(-1, data))).code, 'invalid_argument')
  // The predictions for a new customer throw at once.
  assert.throws(() => model.probabilityOfPurchases(-1, 10), { code: 'invalid_argument' })
  assert.throws(() => model.expectedPurchasesNew(Number.NaN), { code: 'invalid_argument' })
  assert.throws(() => FittedBetaGeo.fromParams({ r: -1, alpha: 1, a: 1, b: 1 }), { code: 'invalid_argument' })
  const spend = FittedGammaGamma.fromParams({ p: 6.25, q: 3.74, v: 15.44 })
  const withValue = { ...data, monetaryValue: new Float64Array(data.T.length) }
  assert.equal((await rejection(spend.clv({ params: {} }, withValue))).code, 'invalid_argument')
  assert.equal((await rejection(spend.clv(model, withValue, { discountRate: -0.1 }))).code, 'invalid_argument')
  assert.equal((await rejection(spend.clv(model, withValue, { months: 1.5 }))).code, 'invalid_argument')
  const negative = await rejection(spend.expectedAverageValue({ frequency: [1, 2], monetaryValue: [3, -4] }))
  assert.deepStrictEqual([negative.code, negative.column, negative.row], ['invalid_data', 'monetary_value', 1])
  // No model without a fit (or parameters): the unfitted classes only have `fit`.
  assert.throws(() => new BetaGeo(), /no `constructor`/)
})

// ---- K-means segments and purchase propensity ------------------------------------------------

/** ROC AUC by hand: the share of (buyer, non-buyer) pairs the scores order right, ties half. */
function auc(scores, labels) {
  const pos = scores.filter((_, i) => labels[i])
  const neg = scores.filter((_, i) => !labels[i])
  let wins = 0
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0
  return wins / (pos.length * neg.length)
}

test('k-means segments of the CDNOW customers: deterministic, described, ordered by revenue', async () => {
  const tx = cdnow()
  const s = await segmentCustomers(tx, { order: null, kRange: [2, 5] })
  assert.deepStrictEqual(await segmentCustomers(tx, { order: null, kRange: [2, 5], seed: 42 }), s, 'same seed, same segments')
  assert.deepStrictEqual(Object.keys(s), ['k', 'silhouettes', 'customers', 'clusters'])
  // The silhouettes of k = 2..5, and k the best, as the Rust run of segment_customers gives them.
  assert.deepStrictEqual(s.silhouettes.map((x) => x.k), [2, 3, 4, 5])
  const rust = [0.5785192518925159, 0.4852231111617435, 0.4083160717268316, 0.41189804990163553]
  s.silhouettes.forEach((x, i) => assert.ok(Math.abs(x.silhouette - rust[i]) < 1e-9, `k = ${x.k}: ${x.silhouette}`))
  assert.equal(s.k, s.silhouettes.reduce((a, b) => (b.silhouette > a.silhouette ? b : a)).k)
  assert.equal(s.clusters.length, s.k)
  assert.equal(s.clusters.reduce((n, c) => n + c.size, 0), 2357)
  assert.deepStrictEqual(s.clusters.map((c) => c.size), [637, 1720])
  assert.ok(Math.abs(s.clusters.reduce((a, c) => a + c.revenueShare, 0) - 1) < 1e-9)
  // Numbered by revenue share, largest first.
  assert.deepStrictEqual(s.clusters.map((c) => c.cluster), [...s.clusters.keys()])
  assert.ok(s.clusters.every((c, i) => i === 0 || s.clusters[i - 1].revenueShare >= c.revenueShare))
  assert.ok(s.clusters[0].frequency > s.clusters[s.k - 1].frequency)
  assert.deepStrictEqual(Object.keys(s.clusters[0]), ['cluster', 'size', 'recency', 'frequency', 'monetary', 'extra', 'revenueShare', 'rfmSegment'])
  assert.deepStrictEqual(s.clusters[0].extra, {})
  assert.equal(typeof s.clusters[0].rfmSegment, 'string')
  // Every customer, in rfm's order, in a cluster of the size it says.
  const r = await rfm(tx, { order: null })
  assert.deepStrictEqual(s.customers.map((c) => c.customerId), r.map((x) => x.customerId))
  for (const c of s.clusters) assert.equal(s.customers.filter((x) => x.cluster === c.cluster).length, c.size)
  // The mean monetary value of a cluster is that of its customers' rfm rows.
  const first = r.filter((_, i) => s.customers[i].cluster === 0)
  assert.ok(Math.abs(first.reduce((a, x) => a + x.monetary, 0) / first.length - s.clusters[0].monetary) < 1e-9)

  // A fixed k: that many clusters, no silhouettes.
  const three = await segmentCustomers(tx, { order: null, k: 3 })
  assert.deepStrictEqual([three.k, three.clusters.length, three.silhouettes], [3, 3, []])
  assert.equal(three.clusters.reduce((n, c) => n + c.size, 0), 2357)

  // Extra features, per customer in the sorted order: each cluster has their means.
  const summary = await summaryData(tx)
  const repeat = summary.map((x) => x.frequency)
  const withExtra = await segmentCustomers(tx, { order: null, k: 3, extra: { repeat: Float64Array.from(repeat), days: summary.map((x) => x.T) } })
  assert.deepStrictEqual(Object.keys(withExtra.clusters[0].extra), ['repeat', 'days'])
  for (const c of withExtra.clusters) {
    const members = repeat.filter((_, i) => withExtra.customers[i].cluster === c.cluster)
    assert.ok(Math.abs(members.reduce((a, b) => a + b, 0) / members.length - c.extra.repeat) < 1e-9)
  }
  const plain = await segmentCustomers(tx, { order: null, k: 3, extra: { repeat, days: Float64Array.from(summary, (x) => x.T) } })
  assert.deepStrictEqual(plain, withExtra)

  // Errors.
  for (const bad of [{ kRange: [1, 3] }, { kRange: [5, 2] }, { kRange: [2.5, 4] }, { k: 0 }, { k: 1.5 }, { seed: -1 }, { kRange: 3 }, { extra: [1, 2] }, { kmeans: 3 }]) {
    const err = await rejection(segmentCustomers(tx, { order: null, ...bad }))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(bad))
  }
  const short = await rejection(segmentCustomers(tx, { order: null, extra: { clv: [1, 2, 3] } }))
  assert.deepStrictEqual([short.code, short.column], ['invalid_data', 'clv'])
  const nan = await rejection(segmentCustomers(tx, { order: null, extra: { clv: repeat.map((v, i) => (i === 9 ? Number.NaN : v)) } }))
  assert.deepStrictEqual([nan.code, nan.column, nan.row], ['invalid_data', 'clv', 9])
  const text = await rejection(segmentCustomers(tx, { order: null, extra: { clv: repeat.map(String) } }))
  assert.deepStrictEqual([text.code, text.column], ['invalid_data', 'clv'])
  assert.equal((await rejection(segmentCustomers(RFM_TABLE, { k: 9 }))).code, 'fit_failed')
})

test('purchase propensity on CDNOW: logistic and random forest beat chance, with the BG/NBD baseline', async () => {
  const tx = cdnow()
  // The AUCs of the Rust run (`cargo test -p nexus-core --test it propensity -- --nocapture`).
  const rust = { logistic: 0.7772512697364051, random_forest: 0.7574397115522419 }
  const rustBaseline = 0.756919757552878
  for (const model of ['logistic', 'random_forest']) {
    const p = await purchasePropensity(tx, { order: null, calibrationEnd: '1997-09-30', horizonDays: 273, model })
    assert.deepStrictEqual(Object.keys(p), ['auc', 'baselineAuc', 'model', 'features', 'calibrationEnd', 'trainingCutoff', 'customers'])
    assert.equal(p.model, model)
    assert.equal(p.customers.length, 2357)
    assert.ok(p.customers.every((c) => c.probability >= 0 && c.probability <= 1), model)
    assert.ok(p.customers.every((c) => c.baseline >= 0 && c.baseline <= 1), model)
    assert.ok(p.auc > 0.7 && p.auc <= 1, `${model} AUC ${p.auc}`)
    assert.ok(p.baselineAuc > 0.7, `baseline AUC ${p.baselineAuc}`)
    assert.ok(Math.abs(p.auc - rust[model]) < 1e-9, `${model} AUC ${p.auc} vs ${rust[model]}`)
    assert.ok(Math.abs(p.baselineAuc - rustBaseline) < 1e-9, `baseline AUC ${p.baselineAuc}`)
    // The AUCs are those of the scores and labels returned.
    const bought = p.customers.map((c) => c.purchased)
    assert.ok(Math.abs(auc(p.customers.map((c) => c.probability), bought) - p.auc) < 1e-12)
    assert.ok(Math.abs(auc(p.customers.map((c) => c.baseline), bought) - p.baselineAuc) < 1e-12)
    // Trained on the features at 1997-05-17 (half the 272-day calibration period before its end).
    assert.deepStrictEqual([p.calibrationEnd, p.trainingCutoff], ['1997-09-30', '1997-05-17'])
    assert.equal(p.features.length, 9)
    assert.equal(p.features[0], 'days_since_last')
    assert.deepStrictEqual(Object.keys(p.customers[0]), ['customerId', 'probability', 'baseline', 'purchased'])
    assert.equal(p.customers[0].customerId, 1)
  }
  // The calibration end as a Date or epoch milliseconds; the forest's seed and trees.
  const again = await purchasePropensity(tx, { order: null, calibrationEnd: new Date(Date.UTC(1997, 8, 30)), horizonDays: 273 })
  assert.ok(Math.abs(again.auc - rust.logistic) < 1e-9)
  const a = await purchasePropensity(tx, { order: null, calibrationEnd: Date.UTC(1997, 8, 30), horizonDays: 273, model: 'random_forest', trees: 20, seed: 7 })
  const b = await purchasePropensity(tx, { order: null, calibrationEnd: Date.UTC(1997, 8, 30), horizonDays: 273, model: 'random_forest', trees: 20, seed: 7 })
  assert.deepStrictEqual(a, b)
  assert.ok(a.auc > 0.7)
  // Defaults: a 90-day window ending with the data.
  const byDefault = await purchasePropensity(tx, { order: null })
  assert.equal(byDefault.calibrationEnd, '1998-04-01') // 90 days before the last, 1998-06-30

  for (const bad of [{ model: 'svm' }, { horizonDays: 0 }, { horizonDays: 2.5 }, { trees: 0 }, { calibrationEnd: 'soon' }, { calibrationEnd: '1997-01-02' }, { horizon: 90 }]) {
    const err = await rejection(purchasePropensity(tx, { order: null, ...bad }))
    assert.equal(err.code, 'invalid_argument', JSON.stringify(bad))
  }
  assert.equal((await rejection(purchasePropensity([], { order: null }))).code, 'invalid_data')
})
