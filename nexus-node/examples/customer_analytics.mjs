// Customer analytics on the CDNOW sample (6,919 orders of 2,357 customers, 1997-1998) with the
// Node binding: RFM segments, quarterly KPIs, cohort retention, the per-customer summary, and
// the lifetime-value models fitted to it (BG/NBD, Pareto/NBD, Gamma-Gamma) with each
// customer's expected purchases, probability of being active and lifetime value; then k-means
// segments on RFM and that value, and a purchase-propensity model against the BG/NBD baseline.
// Run from the repository root after `npm run build` in nexus-node/:
//   node nexus-node/examples/customer_analytics.mjs
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

const require = createRequire(import.meta.url)
const { BetaGeo, GammaGamma, ParetoNBD, cohorts, kpis, purchasePropensity, rfm, rfmSegments, segmentCustomers, summaryData } =
  require('../index.js')

// The sample: master id, sample customer id, YYYYMMDD, CDs, dollars. One row per order, with
// the transactions table's usual keys (`customer_id`, `date`, `amount`); the file has no order
// ids, so each row is its own order (`order: null`).
const text = readFileSync(resolve(import.meta.dirname, '../../tests/data/CDNOW_sample.txt'), 'utf8')
const transactions = text
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => {
    const [, id, date, cds, dollars] = line.trim().split(/\s+/)
    return { customer_id: Number(id), date, amount: Number(dollars), cds: Number(cds) }
  })
console.log(`${transactions.length} orders`)

const pct = (x) => `${(100 * x).toFixed(1)}%`

// RFM: scores 1-5 by quintiles, named segments, measured to the day after the last order.
const scores = await rfm(transactions, { order: null })
console.log(`\nRFM of customer ${scores[0].customerId}: cell ${scores[0].rfmCell}, ${scores[0].segment}`)
console.log('\nSegments (customers, share of revenue, mean recency in days):')
for (const s of await rfmSegments(transactions, { order: null })) {
  console.log(`  ${s.segment.padEnd(20)} ${String(s.customers).padStart(5)}  ${pct(s.revenueShare).padStart(6)}  ${s.recency.toFixed(0).padStart(4)}`)
}

// KPIs by quarter, with items per order from the CDs column.
console.log('\nQuarterly KPIs:')
for (const k of await kpis(transactions, { order: null, items: 'cds', period: 'quarter' })) {
  console.log(
    `  ${k.period}  revenue ${k.revenue.toFixed(0).padStart(6)}  orders ${String(k.orders).padStart(5)}  ` +
      `AOV ${k.aov?.toFixed(2) ?? '-'}  CDs/order ${k.itemsPerOrder?.toFixed(2) ?? '-'}  new ${k.newCustomers}`,
  )
}

// Cohorts: every customer's first purchase is in Q1 1997, so the monthly cohorts are Jan-Mar 1997.
const cells = await cohorts(transactions, { period: 'month' })
console.log('\nMonthly retention of the January 1997 cohort:')
console.log(
  '  ' +
    cells
      .filter((c) => c.cohort === '1997-01-01' && c.offset <= 12)
      .map((c) => pct(c.retention))
      .join(' '),
)

// The summary for the lifetime-value models: 39 weeks of calibration, then a hold-out.
const summary = await summaryData(transactions, { calibrationEnd: '1997-09-30', observationEnd: '1998-06-30', unit: 'weeks' })
const repeat = summary.filter((s) => s.frequency > 0)
console.log(
  `\nSummary: ${summary.length} customers, ${repeat.length} with repeat purchases in the calibration period; ` +
    `customer ${summary[0].customerId}: frequency ${summary[0].frequency}, recency ${summary[0].recency.toFixed(2)}, ` +
    `T ${summary[0].T.toFixed(2)} weeks, ${summary[0].frequencyHoldout} purchases in the ${summary[0].durationHoldout.toFixed(1)}-week hold-out`,
)

// Lifetime-value models, fitted to the summary's rows as they are (time in weeks).
const bg = await BetaGeo.fit(summary)
const pareto = await ParetoNBD.fit(summary)
const spend = await GammaGamma.fit(repeat)
const fmt = (params) => Object.entries(params).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')
console.log(`\nBG/NBD: ${fmt(bg.params)}; log-likelihood ${bg.logLikelihood.toFixed(1)}`)
console.log(`Pareto/NBD: ${fmt(pareto.params)}; log-likelihood ${pareto.logLikelihood.toFixed(1)}`)
console.log(`Gamma-Gamma (${spend.nCustomers} repeat buyers): ${fmt(spend.params)}; mean order value ${spend.populationMean.toFixed(2)}`)

// The hold-out (39 weeks) against BG/NBD's expectation, and the year's value of each customer.
const expected = await bg.expectedPurchases(summary[0].durationHoldout, summary)
const alive = await bg.probabilityAlive(summary)
const clv = await spend.clv(bg, summary, { months: 12, discountRate: 0.01, unit: 'weeks' })
const sum = (xs) => xs.reduce((a, b) => a + b, 0)
console.log(
  `\nHold-out purchases: ${sum(summary.map((s) => s.frequencyHoldout))} made, ${sum(expected).toFixed(0)} expected by BG/NBD`,
)
const top = summary
  .map((s, i) => ({ id: s.customerId, clv: clv[i], alive: alive[i], next: expected[i] }))
  .sort((a, b) => b.clv - a.clv)
  .slice(0, 5)
console.log('Most valuable customers (12-month CLV at 1% a month, P(active), expected hold-out purchases):')
for (const c of top) {
  console.log(`  ${String(c.id).padStart(5)}  ${c.clv.toFixed(2).padStart(8)}  ${c.alive.toFixed(2)}  ${c.next.toFixed(1)}`)
}

// K-means segments on RFM and the CLV: every customer bought in the calibration period, so the
// summary's rows (and the CLV) are in the sorted customer order `extra` takes.
const seg = await segmentCustomers(transactions, { order: null, kRange: [2, 6], extra: { clv } })
console.log(`\nK-means: k = ${seg.k} (silhouettes ${seg.silhouettes.map((s) => `${s.k}: ${s.silhouette.toFixed(3)}`).join(', ')})`)
for (const c of seg.clusters) {
  console.log(
    `  cluster ${c.cluster}  ${String(c.size).padStart(5)} customers  ${pct(c.revenueShare).padStart(6)} of revenue  ` +
      `recency ${c.recency.toFixed(0)}  orders ${c.frequency.toFixed(1)}  spend ${c.monetary.toFixed(0)}  CLV ${c.extra.clv.toFixed(0)}  (${c.rfmSegment})`,
  )
}

// Who buys in the 39 weeks after the calibration period? Validated on what they did (ROC AUC).
console.log('\nPurchase propensity, 273 days after 1997-09-30:')
for (const model of ['logistic', 'random_forest']) {
  const p = await purchasePropensity(transactions, { order: null, calibrationEnd: '1997-09-30', horizonDays: 273, model })
  console.log(`  ${model.padEnd(13)} AUC ${p.auc.toFixed(3)}  (BG/NBD baseline ${p.baselineAuc.toFixed(3)}; trained on features at ${p.trainingCutoff})`)
}
