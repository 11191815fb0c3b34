// Sales forecasting with the Node binding: AutoETS on AirPassengers (monthly, 1949-1960) with
// the last year held out, the model it selects, its accuracy and its prediction intervals;
// then forecastMany over a few generated store series at once, in statsforecast's long format.
// No network. Run from the repository root after `npm run build` in nexus-node/:
//   node nexus-node/examples/forecast_sales.mjs
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

const require = createRequire(import.meta.url)
const { AutoETS, ETS, forecastMany } = require('../index.js')

// AirPassengers: `unique_id,ds,y`, one row per month.
const text = readFileSync(resolve(import.meta.dirname, '../../tests/data/AirPassengers.csv'), 'utf8')
const rows = text
  .trim()
  .split(/\r?\n/)
  .slice(1)
  .map((line) => {
    const [, ds, y] = line.split(',')
    return { ds, y: Number(y) }
  })
const y = rows.map((r) => r.y)
const train = y.slice(0, -12)
const test = y.slice(-12)
console.log(`AirPassengers: ${y.length} months, ${rows[0].ds.slice(0, 7)} to ${rows.at(-1).ds.slice(0, 7)}; the last 12 held out`)

// Every ETS model with a yearly season, picked by AICc.
const fit = await AutoETS.fit(train, { seasonLength: 12 })
const params = Object.entries(fit.params).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')
console.log(`\nAutoETS selected ${fit.model} (${params}); AICc ${fit.aicc.toFixed(1)}`)
const ranked = Object.entries(fit.candidates).sort((a, b) => a[1] - b[1]).slice(0, 5)
console.log(`  best candidates by AICc: ${ranked.map(([code, aicc]) => `${code} ${aicc.toFixed(1)}`).join(', ')}`)

const forecast = fit.predict(12, { level: [80, 95] })
const [i80, i95] = forecast.intervals
const mape = test.reduce((s, a, i) => s + Math.abs(a - forecast.mean[i]) / a, 0) / test.length
console.log(`\nForecast of 1960 (hold-out MAPE ${(100 * mape).toFixed(2)}%):`)
console.log('  month    actual  forecast       80% interval       95% interval')
for (let h = 0; h < 12; h++) {
  const range = (i) => `[${i.lower[h].toFixed(0).padStart(4)}, ${i.upper[h].toFixed(0).padStart(4)}]`
  console.log(
    `  ${rows[rows.length - 12 + h].ds.slice(0, 7)}  ${String(test[h]).padStart(6)}  ${forecast.mean[h].toFixed(1).padStart(8)}` +
      `  ${range(i80).padStart(17)}  ${range(i95).padStart(17)}`,
  )
}

// A fixed model for comparison: additive Holt-Winters, ETS(A,A,A).
const aaa = await ETS.fit(train, { model: 'AAA', seasonLength: 12 })
const aaaMape = test.reduce((s, a, i) => s + Math.abs(a - aaa.predict(12).mean[i]) / a, 0) / test.length
console.log(`\n${aaa.model}: AICc ${aaa.aicc.toFixed(1)}, hold-out MAPE ${(100 * aaaMape).toFixed(2)}%`)

// forecastMany: four years of monthly sales of a few stores (a trend, a yearly season and
// some noise from a seeded generator), plus a store opened two months ago that cannot be
// forecast yet. One AutoETS per store, in parallel; the season (12) is inferred from the dates.
let seed = 42
const noise = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32 - 0.5
}
const season = [0.8, 0.75, 0.9, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.25, 1.6]
const month = (k) => `${2020 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-01`
const table = []
for (const [store, size, growth] of [['berlin', 1000, 0.01], ['lyon', 600, 0.005], ['porto', 400, 0.02]]) {
  for (let k = 0; k < 48; k++) {
    table.push({ unique_id: store, ds: month(k), y: size * (1 + growth) ** k * season[k % 12] * (1 + 0.05 * noise()) })
  }
}
table.push({ unique_id: 'malmo', ds: '2023-11-01', y: 120 }, { unique_id: 'malmo', ds: '2023-12-01', y: 180 })

const { forecasts, failed } = await forecastMany(table, { h: 6, level: [90] })
console.log(`\nforecastMany: ${forecasts.length} rows for ${new Set(forecasts.map((r) => r.unique_id)).size} stores`)
console.log('  unique_id  ds          model          AutoETS  AutoETS-lo-90  AutoETS-hi-90')
for (const r of forecasts) {
  console.log(
    `  ${r.unique_id.padEnd(9)}  ${r.ds}  ${r.model.padEnd(13)}  ${r.AutoETS.toFixed(0).padStart(7)}` +
      `  ${r['AutoETS-lo-90'].toFixed(0).padStart(13)}  ${r['AutoETS-hi-90'].toFixed(0).padStart(13)}`,
  )
}
for (const f of failed) console.log(`  not forecast: ${f.id} (${f.code}): ${f.message}`)
