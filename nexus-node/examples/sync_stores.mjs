// Syncs three stores of three platforms into one SQLite file with the Node binding: a
// WooCommerce, a Shopify and a Magento fake store start on 127.0.0.1 (no account, nothing
// leaves the machine), a registry file names them with their credentials as references, and
// one sync reads them concurrently with a one-line progress display. Then the report, the
// health and the quality grade of each store, and the HTML quality report.
// Run from nexus-node/ after `npm run build`:
//   node examples/sync_stores.mjs [report.html]
// The HTML report goes to the path given (default nexus-quality.html).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const require = createRequire(import.meta.url)
const { FakeStore, Manager } = require('../index.js')

const out = resolve(process.argv[2] ?? 'nexus-quality.html')
const stores = {
  'shop-eu': new FakeStore('woocommerce', { orders: 3000, customers: 600, seed: 1 }),
  'shop-us': new FakeStore('shopify', { orders: 3000, customers: 600, seed: 2 }),
  'shop-de': new FakeStore('magento', { orders: 3000, customers: 600, seed: 3 }),
}
const dir = mkdtempSync(join(tmpdir(), 'nexus-sync-'))
try {
  // Credentials never go in the file: `env:NAME` reads an environment variable, `secret:NAME`
  // asks the host application (here the `secrets` map given to `Manager.fromToml`).
  const eu = stores['shop-eu'].credentials
  process.env.SHOP_EU_KEY = eu.consumerKey
  process.env.SHOP_EU_SECRET = eu.consumerSecret
  process.env.SHOP_DE_TOKEN = stores['shop-de'].credentials.accessToken
  const registry = join(dir, 'nexus.toml')
  writeFileSync(registry, `
database = "nexus.db"     # next to this file
concurrency = 3           # the three stores at once

[defaults]
# The fake stores have no rate limit of their own; leave this out for a real store.
rate_limit = 100000

[stores.shop-eu]
platform = "woocommerce"
url = "${stores['shop-eu'].url}"
consumer_key = "env:SHOP_EU_KEY"
consumer_secret = "env:SHOP_EU_SECRET"

[stores.shop-us]
platform = "shopify"
url = "${stores['shop-us'].url}"
access_token = "secret:shopify/shop-us"

[stores.shop-de]
platform = "magento"
url = "${stores['shop-de'].url}"
access_token = "env:SHOP_DE_TOKEN"
allow_plain_http = true   # the fake store is served over plain http on 127.0.0.1
`)
  const manager = await Manager.fromToml(registry, {
    secrets: { 'shopify/shop-us': stores['shop-us'].credentials.accessToken },
    onAlert: (alert) => console.log(`alert [${alert.severity}] ${alert.store}: ${alert.message}`),
  })

  // One line, rewritten in place on a terminal: each store's current entity and records.
  const latest = new Map()
  let shown = 0
  const line = () => [...latest.values()]
    .map((e) => `${e.store} ${e.entity}s ${e.fetched}${e.total === null ? '' : `/${e.total}`}`)
    .join(' | ')
  const onProgress = (event) => {
    latest.set(event.store, event)
    const now = performance.now()
    if (process.stdout.isTTY && now - shown > 100) {
      shown = now
      process.stdout.write(`\r\x1b[K${line()}`)
    }
  }
  const started = performance.now()
  const report = await manager.sync({ onProgress, signal: AbortSignal.timeout(120_000) })
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[K')
  console.log(`synced ${Object.keys(stores).length} stores in ${((performance.now() - started) / 1000).toFixed(2)} s${report.ok ? '' : ' (with errors)'}\n`)
  console.log(report.toText())

  const health = await manager.health()
  console.log(`health: ${health.status}`)
  for (const s of health.stores) {
    const reasons = s.reasons.length ? ` (${s.reasons.join('; ')})` : ''
    console.log(`  ${s.store.padEnd(8)} ${s.platform.padEnd(11)} ${s.status}${reasons}, ${s.quarantined} in quarantine`)
  }

  console.log('\nquality of the stored records:')
  for (const { name } of manager.stores()) {
    const q = await manager.qualityReport(name)
    const top = q.recommendations[0]
    console.log(`  ${name.padEnd(8)} ${q.grade.padEnd(2)} (${q.score.toFixed(1)}) over ${q.records} records${top ? `; first to fix: ${top.problem}` : ''}`)
  }
  const counts = await manager.counts()
  console.log(`\ndatabase: ${counts.orders} orders, ${counts.customers} customers, ${counts.products} products, ${counts.refunds} refunds, ${counts.quarantined} quarantined`)

  writeFileSync(out, (await manager.qualityReport()).toHtml())
  console.log(`HTML quality report written to ${out}`)
} finally {
  for (const store of Object.values(stores)) store.close()
  rmSync(dir, { recursive: true, force: true })
}
