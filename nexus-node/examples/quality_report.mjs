// Checks the quality of the bundled WooCommerce, Shopify and Magento example orders with the
// Node binding: maps them, checks them with cleansing, prints the score, the grade and the
// top recommendations, and writes the HTML report.
// Run from the repository root after `npm run build` in nexus-node/:
//   node nexus-node/examples/quality_report.mjs [report.html]
// The report goes to the path given, or to a file in the system's temporary directory.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const require = createRequire(import.meta.url)
const { checkQuality, mapOrders } = require('../index.js')
const fixtures = resolve(import.meta.dirname, '../../tests/fixtures')

const orders = []
for (const [platform, file] of [
  ['woocommerce', 'woocommerce/orders_list.json'],
  ['shopify', 'shopify/orders.json'],
  ['magento', 'magento/order.json'],
]) {
  const { records, errors } = mapOrders(platform, readFileSync(resolve(fixtures, file)), { store: `demo-${platform}` })
  for (const e of errors) console.log(`${platform}: refused ${e.path}: ${e.message} [${e.code}]`)
  orders.push(...records)
}

// A fixed "now" makes the report the same on every run (the example orders are old).
const report = checkQuality(orders, { entity: 'orders', cleanse: true, asOf: '2025-01-01T00:00:00Z' })

console.log(`${report.records} orders checked: score ${report.score}, grade ${report.grade}`)
for (const store of report.stores) {
  console.log(`  ${store.store.padEnd(18)} ${String(store.score).padStart(6)}  ${store.grade}`)
}
console.log(`cleansing made ${report.cleansing.length} changes`)
console.log('top recommendations:')
for (const r of report.recommendations.slice(0, 3)) {
  console.log(`  ${r.rank}. [${r.severity}] ${r.problem}`)
  console.log(`     fix: ${r.fix}`)
}

const out = process.argv[2] ?? join(tmpdir(), 'nexus-quality-report.html')
writeFileSync(out, report.toHtml())
console.log(`HTML report written to ${out}`)
