// The store registry from Node, end to end against fake stores on 127.0.0.1: a TOML registry
// of three platforms synced into one SQLite file, progress events, alerts, health, the stored
// records, credentials kept out of every report, a failing store, cancellation.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { rejection } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { FakeStore, Manager, QualityReport, SyncReport } = require('../index.js')

const dir = mkdtempSync(join(tmpdir(), 'nexus-node-manager-'))
/** Every fake store started here, closed when the file is done. */
const fakes = []
function fake(platform, options) {
  const store = new FakeStore(platform, options)
  fakes.push(store)
  return store
}
after(() => {
  for (const store of fakes) store.close()
  rmSync(dir, { recursive: true, force: true })
})

let registries = 0
/** Writes a registry file (and any side files) to a new folder; returns its path. */
function registry(toml, files = {}) {
  const folder = join(dir, `registry-${++registries}`)
  mkdirSync(folder)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text)
  const path = join(folder, 'nexus.toml')
  writeFileSync(path, toml)
  return path
}

/** Sets an environment variable for the registries to name (`env:NAME`). */
function env(name, value) {
  process.env[name] = value
  return `env:${name}`
}

const orderReport = (store) => store.entities.find((e) => e.entity === 'order')

const dts = readFileSync(resolve(import.meta.dirname, '../index.d.ts'), 'utf8')
/** Checks that `export interface <name>` in index.d.ts names exactly the keys of `sample`. */
function declaresEveryField(name, sample) {
  const body = dts.match(new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`))
  assert.ok(body, `interface ${name} in index.d.ts`)
  const declared = [...body[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]).sort()
  assert.ok(sample, `a sample of ${name}`)
  assert.deepStrictEqual(declared, Object.keys(sample).sort(), name)
}

describe('a registry of a WooCommerce, a Shopify and a Magento store', () => {
  const woo = fake('woocommerce', { orders: 240 })
  const shop = fake('shopify', { orders: 180 })
  const mage = fake('magento', { orders: 150 })
  const fakeOf = { eu: woo, us: shop, de: mage }
  const secrets = [
    woo.credentials.consumerKey,
    woo.credentials.consumerSecret,
    shop.credentials.accessToken,
    mage.credentials.accessToken,
  ]
  // The Magento store quarantines orders left pending for more than 30 days (all the fake's
  // pending orders, dated 2024): its rule file makes that rule an error.
  const path = registry(`
database = "nexus.db"
concurrency = 3

[defaults]
page_size = 40
overlap_seconds = 0
rate_limit = 100000

[stores.eu]
platform = "woocommerce"
url = "${woo.url}"
consumer_key = "${env('NX_NODE_EU_KEY', woo.credentials.consumerKey)}"
consumer_secret = "${env('NX_NODE_EU_SECRET', woo.credentials.consumerSecret)}"

[stores.us]
platform = "shopify"
url = "${shop.url}"
access_token = "secret:shopify/us"

[stores.de]
platform = "magento"
url = "${mage.url}"
access_token = "${env('NX_NODE_DE_TOKEN', mage.credentials.accessToken)}"
allow_plain_http = true
rules = "strict.yaml"

[[alerts]]
when = "quarantine"
above = 0
severity = "critical"

[[alerts]]
name = "not_perfect"
when = "score_below"
score = 100
`, { 'strict.yaml': 'version: 1\nrules:\n  order.stale_pending: { severity: error }\n' })

  let manager
  let before_sync
  let report
  const events = []
  const raised = []
  before(async () => {
    manager = await Manager.fromToml(path, {
      secrets: { 'shopify/us': shop.credentials.accessToken },
      onAlert: (alert) => raised.push(alert),
    })
    before_sync = await manager.health()
    report = await manager.sync({ onProgress: (event) => events.push(event) })
  })

  test('lists its stores without credentials, and checks their connections', async () => {
    assert.deepEqual(manager.stores().map((s) => [s.name, s.platform, s.url]), [
      ['de', 'magento', mage.url], ['eu', 'woocommerce', woo.url], ['us', 'shopify', shop.url],
    ])
    assert.deepEqual(manager.stores()[0].entities, ['customer', 'product', 'order', 'refund'])
    const checks = await manager.check()
    assert.deepEqual(checks.map((c) => [c.store, c.ok, c.error]), [['de', true, null], ['eu', true, null], ['us', true, null]])
    assert.equal(checks[1].info.currency, 'EUR')
    assert.equal(checks[1].info.platform, 'woocommerce')
    const one = await manager.check({ stores: ['us'] })
    assert.deepEqual(one.map((c) => c.store), ['us'])
  })

  test('every order of every store is written or quarantined', async () => {
    assert.ok(report instanceof SyncReport)
    assert.ok(report.ok, report.toText())
    assert.equal(report.cancelled, false)
    assert.deepEqual(report.stores.map((s) => [s.store, s.platform, s.ok]), [
      ['de', 'magento', true], ['eu', 'woocommerce', true], ['us', 'shopify', true],
    ])
    let written = 0
    for (const s of report.stores) {
      const orders = orderReport(s)
      assert.equal(orders.written + orders.quarantined, fakeOf[s.store].ids('orders').length, s.store)
      assert.ok(orders.complete && orders.pages >= 4, `${s.store}: ${orders.pages} pages`)
      written += orders.written
    }
    // Only the store with the strict rule file quarantines.
    assert.ok(orderReport(report.store('de')).quarantined > 0)
    assert.equal(orderReport(report.store('eu')).quarantined, 0)
    assert.equal(report.store('nowhere'), null)
    assert.equal((await manager.orders()).length, written)
    const de = await manager.orders({ stores: ['de'] })
    assert.ok(de.length > 0 && de.every((o) => o.source.store === 'de' && o.source.platform === 'magento'))
    assert.equal((await manager.orders({ platform: 'shopify' })).length, orderReport(report.store('us')).written)
    const counts = await manager.counts()
    assert.equal(counts.orders, written)
    assert.equal(counts.customers, (await manager.customers()).length)
    assert.ok(counts.products > 0 && counts.products === (await manager.products()).length)
    assert.equal(counts.refunds, (await manager.refunds()).length)
    // The quarantine holds each rejected order with its reason and raw payload.
    const quarantined = (await manager.quarantined({ stores: ['de'] })).filter((q) => q.entity === 'order')
    assert.equal(quarantined.length, orderReport(report.store('de')).quarantined)
    assert.ok(quarantined.every((q) => q.rules.includes('order.stale_pending') && q.raw && JSON.parse(q.raw)))
    assert.match(report.toText(), /^store +platform +entity/)
    assert.match(report.toText(), /\nde +magento +orders +\d+ +150 /)
    assert.deepEqual(JSON.parse(JSON.stringify(report)).stores, report.stores)
    assert.equal(report.toJSON().run_id, report.runId)
  })

  test('progress comes page by page, fetched never goes back, and each entity ends with done', () => {
    const byEntity = new Map()
    for (const e of events) {
      const key = `${e.store}/${e.entity}`
      if (!byEntity.has(key)) byEntity.set(key, [])
      byEntity.get(key).push(e)
    }
    assert.equal(byEntity.size, 12, [...byEntity.keys()].join(' '))
    for (const [key, list] of byEntity) {
      for (let i = 1; i < list.length; i++) {
        assert.ok(list[i].fetched >= list[i - 1].fetched, `${key}: fetched went back`)
        assert.ok(list[i].pages >= list[i - 1].pages, `${key}: pages went back`)
      }
      assert.deepEqual(list.map((e) => e.done), [...list.slice(1).map(() => false), true], key)
      const [store, entity] = key.split('/')
      const entityReport = report.store(store).entities.find((e) => e.entity === entity)
      const last = list.at(-1)
      assert.equal(last.fetched, entityReport.fetched, key)
      assert.equal(last.written, entityReport.written, key)
      assert.equal(last.run_id, report.runId)
    }
    const orders = byEntity.get('eu/order')
    // One event per write (pages fetched ahead are written together), and the last.
    const pages = orderReport(report.store('eu')).pages
    assert.ok(orders.length >= 2 && orders.length <= pages + 1, `${orders.length} events for ${pages} pages`)
    assert.equal(orders.at(-1).total, 240)
    assert.ok(orders.every((e) => e.platform === 'woocommerce' && e.rate >= 0 && e.elapsed_seconds >= 0))
  })

  test('the transactions table, as rows and as columns', async () => {
    const rows = await manager.transactions()
    const orders = await manager.orders()
    const byId = new Map(orders.map((o) => [`${o.source.store}/${o.source.id}`, o]))
    assert.ok(rows.length > 0 && rows.length <= orders.length)
    for (const row of rows) {
      const order = byId.get(`${row.store}/${row.order_id}`)
      assert.ok(order, `${row.store}/${row.order_id} is not a stored order`)
      assert.equal(row.amount, order.total.amount)
      assert.equal(row.currency, order.total.currency)
      assert.ok(!['cancelled', 'failed', 'draft', 'pending'].includes(row.status), row.status)
      assert.match(row.amount, /^-?\d+(\.\d+)?$/)
    }
    assert.deepEqual(rows.map((r) => r.date), rows.map((r) => r.date).sort((a, b) => Date.parse(a) - Date.parse(b)), 'oldest first')
    const columns = await manager.transactions({ columns: true })
    assert.deepEqual(Object.keys(columns), Object.keys(rows[0]))
    for (const [field, values] of Object.entries(columns)) {
      assert.deepEqual(values, rows.map((r) => r[field]), field)
    }
    const us = await manager.transactions({ stores: ['us'] })
    assert.ok(us.length > 0 && us.every((r) => r.store === 'us' && r.platform === 'shopify'))
  })

  test('health goes from failing (never synced) to ok, and alerts reach onAlert', async () => {
    assert.equal(before_sync.status, 'failing')
    assert.deepEqual(before_sync.stores.map((s) => [s.store, s.status, s.reasons]), [
      ['de', 'failing', ['never synced']], ['eu', 'failing', ['never synced']], ['us', 'failing', ['never synced']],
    ])
    const health = await manager.health()
    assert.notEqual(health.status, 'failing')
    for (const s of health.stores) {
      assert.equal(s.status, 'ok', `${s.store}: ${s.reasons}`)
      assert.ok(s.freshness_seconds >= 0 && s.freshness_seconds < 60)
      assert.equal(s.error_rate, 0)
      assert.equal(s.last_error, null)
      assert.match(s.quality_grade, /^[A-F][+-]?$/)
    }
    assert.equal(health.stores.find((s) => s.store === 'de').quarantined, orderReport(report.store('de')).quarantined)
    const alerts = await manager.alerts()
    const key = (a) => `${a.rule}:${a.store}:${a.severity}`
    assert.deepEqual(alerts.map(key).sort(), [
      'not_perfect:de:warning', 'not_perfect:eu:warning', 'not_perfect:us:warning', 'quarantine:de:critical',
    ])
    assert.match(alerts.find((a) => a.rule === 'quarantine').message, /quarantine/)
    // The callback had them all before the sync's Promise settled.
    assert.deepEqual(raised.map(key).sort(), alerts.map(key).sort())
  })

  test('the stored records graded with each store\'s rules, and customers across stores', async () => {
    const all = await manager.qualityReport()
    assert.ok(all instanceof QualityReport)
    assert.deepEqual(all.stores.map((s) => s.store).sort(), ['de', 'eu', 'us'])
    const de = await manager.qualityReport('de')
    assert.ok(de.records > 0 && de.stores.every((s) => s.store === 'de'))
    assert.match(de.grade, /^[A-F][+-]?$/)
    assert.match(de.toHtml(), /<html/i)
    assert.equal((await rejection(manager.qualityReport('nowhere'))).code, 'invalid_argument')

    const people = await manager.customersAcross()
    const everywhere = people.filter((c) => c.stores.length === 3)
    assert.ok(everywhere.length > 0, 'the fakes share one list of customers')
    for (const c of everywhere.slice(0, 5)) {
      assert.equal(c.email, c.email.trim().toLowerCase())
      assert.deepEqual(new Set(c.records.map((r) => r[1])), new Set(['de', 'eu', 'us']))
      assert.ok(c.orders >= 3 && Date.parse(c.first_order) <= Date.parse(c.last_order))
      assert.match(c.revenue.EUR, /^\d+(\.\d+)?$/)
    }
  })

  test('the history: the latest report of each store, and the runs', async () => {
    const latest = await manager.report()
    assert.deepEqual(latest.map((s) => s.store), ['de', 'eu', 'us'])
    assert.deepEqual(latest.map((s) => orderReport(s).written), report.stores.map((s) => orderReport(s).written))
    const runs = await manager.runs({ store: 'eu' })
    assert.ok(runs.length >= 1 && runs.every((r) => r.store === 'eu'))
    assert.equal(runs[0].run_id, report.runId)
    assert.equal(runs[0].report.store, 'eu')
    assert.equal((await manager.runs({ limit: 2 })).length, 2)
  })

  test('an incremental sync of one store reads only what changed', async () => {
    const again = await manager.sync({ stores: ['eu'] })
    assert.deepEqual(again.stores.map((s) => s.store), ['eu'])
    assert.notEqual(again.runId, report.runId)
    assert.equal(orderReport(again.store('eu')).written, 0, again.toText())
    assert.equal((await manager.orders({ stores: ['eu'] })).length, 240)
  })

  test('the hand-written types in index.d.ts name every field of the JSON', async () => {
    const health = await manager.health()
    const samples = {
      SyncReportJson: report.toJSON(),
      StoreReport: report.stores[0],
      EntityReport: orderReport(report.stores[0]),
      QualitySummary: report.stores[0].quality,
      RequestStats: report.stores[0].requests,
      SyncCursor: orderReport(report.stores[0]).checkpoint,
      SyncProgress: events[0],
      HealthReport: health,
      StoreHealth: health.stores[0],
      Alert: raised[0],
      StoreEntry: manager.stores()[0],
      CheckResult: (await manager.check())[0],
      TransactionRow: (await manager.transactions())[0],
      CrossStoreCustomer: (await manager.customersAcross())[0],
      QuarantinedRecord: (await manager.quarantined())[0],
      RecordCounts: await manager.counts(),
      SyncRun: (await manager.runs())[0],
    }
    for (const [name, sample] of Object.entries(samples)) declaresEveryField(name, sample)
  })

  test('credentials stay references: none is in any report, record or error', async () => {
    const texts = [
      JSON.stringify(report),
      report.toText(),
      JSON.stringify(manager.stores()),
      JSON.stringify(await manager.check()),
      JSON.stringify(await manager.health()),
      JSON.stringify(await manager.alerts()),
      JSON.stringify(await manager.runs()),
      JSON.stringify(await manager.report()),
      JSON.stringify(events),
      JSON.stringify(raised),
    ]
    for (const text of texts) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a credential leaked into ${text.slice(0, 200)}`)
    }
  })
})

test('a credential written in plain text is refused, naming the key', async () => {
  const path = registry(`
[stores.shop1]
platform = "woocommerce"
url = "https://shop.example.com"
consumer_key = "env:SHOP1_KEY"
consumer_secret = "cs_live_0123456789abcdef"
`)
  const err = await rejection(Manager.fromToml(path))
  assert.equal(err.code, 'invalid_settings')
  assert.match(err.message, /stores\.shop1\.consumer_secret/)
  assert.match(err.message, /env:/)
  assert.ok(err.message.includes(path), err.message)
  assert.ok(!err.message.includes('cs_live_0123456789abcdef'), 'the error does not repeat the secret')

  const typo = registry('[stores.a]\nplatform = "woocommerce"\nurl = "https://a.example"\nconsumer_secrett = "env:X"\n')
  const e2 = await rejection(Manager.fromToml(typo))
  assert.equal(e2.code, 'invalid_settings')
  assert.match(e2.message, /consumer_secrett/)
  assert.match(e2.message, /line 4/)
  assert.equal((await rejection(Manager.fromToml(join(dir, 'missing.toml')))).code, 'invalid_settings')
  assert.equal((await rejection(Manager.fromToml(typo, { secret: {} }))).code, 'invalid_argument')
})

test('a failing store does not stop the others, and shows in health and alerts', async () => {
  const good = fake('woocommerce', { orders: 60 })
  const refusing = fake('magento', { orders: 30 })
  const shop = fake('shopify', { orders: 30 })
  const path = registry(`
[defaults]
overlap_seconds = 0
rate_limit = 100000
max_attempts = 1

[stores.good]
platform = "woocommerce"
url = "${good.url}"
consumer_key = "${env('NX_NODE_GOOD_KEY', good.credentials.consumerKey)}"
consumer_secret = "${env('NX_NODE_GOOD_SECRET', good.credentials.consumerSecret)}"

[stores.refusing]
platform = "magento"
url = "${refusing.url}"
access_token = "${env('NX_NODE_WRONG_TOKEN', 'not-the-token-0000')}"
allow_plain_http = true

[stores.unresolved]
platform = "shopify"
url = "${shop.url}"
access_token = "secret:shopify/unresolved"
`)
  const raised = []
  const manager = await Manager.fromToml(path, { secrets: {}, onAlert: (a) => raised.push(a) })
  const report = await manager.sync()
  assert.equal(report.ok, false)
  assert.equal(report.store('good').ok, true)
  assert.equal(orderReport(report.store('good')).written, 60)
  const refused = report.store('refusing')
  assert.equal(refused.ok, false)
  assert.equal(refused.error.code, 'auth_failed')
  const unresolved = report.store('unresolved')
  assert.equal(unresolved.error.code, 'invalid_settings')
  assert.match(unresolved.error.message, /stores\.unresolved\.access_token/)
  assert.match(unresolved.error.message, /shopify\/unresolved/)
  assert.ok(!JSON.stringify(report).includes('not-the-token-0000'))
  declaresEveryField('ErrorInfo', refused.error)

  const checks = await manager.check()
  assert.deepEqual(checks.map((c) => [c.store, c.ok, c.error?.code ?? null]), [
    ['good', true, null], ['refusing', false, 'auth_failed'], ['unresolved', false, 'invalid_settings'],
  ])
  const health = await manager.health()
  assert.equal(health.status, 'failing')
  const status = Object.fromEntries(health.stores.map((s) => [s.store, s]))
  assert.equal(status.good.status, 'ok')
  assert.equal(status.refusing.status, 'failing')
  assert.ok(status.refusing.reasons.includes('the store refuses the credentials'), status.refusing.reasons)
  assert.equal(status.refusing.last_error.code, 'auth_failed')
  assert.equal(status.refusing.error_rate, 1)
  // The default rules: a store that cannot authenticate raises a critical alert.
  const critical = raised.filter((a) => a.severity === 'critical').map((a) => `${a.rule}:${a.store}`)
  assert.deepEqual(critical, ['auth_failing:refusing'])
})

describe('cancelling a sync', () => {
  // From the sixth request on (after the store check and the first pages), every answer
  // takes five seconds: a sync that ran on would take minutes.
  const slow = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i + 6, 'slow:5']))

  /** A manager of one WooCommerce store (orders only, 20 a page, 300 orders) and its fake. */
  async function cancellable(faults) {
    const woo = fake('woocommerce', { orders: 300, faults })
    const n = ++registries
    const path = registry(`
[defaults]
overlap_seconds = 0
rate_limit = 100000
page_size = 20
entities = ["orders"]

[stores.eu]
platform = "woocommerce"
url = "${woo.url}"
consumer_key = "${env(`NX_NODE_CANCEL_${n}_KEY`, woo.credentials.consumerKey)}"
consumer_secret = "${env(`NX_NODE_CANCEL_${n}_SECRET`, woo.credentials.consumerSecret)}"
`)
    return [await Manager.fromToml(path), woo]
  }

  test('an AbortSignal stops a running sync; the next sync resumes to the same end', async () => {
    const [manager, woo] = await cancellable(slow)
    const controller = new AbortController()
    let abortedAt = null
    const cancelled = await manager.sync({
      signal: controller.signal,
      onProgress: () => {
        abortedAt ??= performance.now()
        controller.abort()
      },
    })
    assert.ok(abortedAt !== null, 'a page was written')
    assert.ok(performance.now() - abortedAt < 2000, 'the slow pages were not waited for')
    assert.equal(cancelled.cancelled, true)
    assert.equal(cancelled.ok, false)
    const eu = cancelled.store('eu')
    assert.equal(eu.error.code, 'cancelled')
    const first = orderReport(eu)
    assert.ok(first.written > 0 && first.written < 300, `${first.written} written`)
    assert.equal(first.complete, false)
    assert.equal((await manager.orders()).length, first.written, 'what was written stays')
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the listener is removed')

    woo.setFaults({})
    const resumed = await manager.sync()
    assert.equal(resumed.cancelled, false)
    assert.ok(resumed.ok, resumed.toText())
    assert.equal(orderReport(resumed.store('eu')).written + first.written, 300, 'resumed from the checkpoint')
    assert.equal((await manager.counts()).orders, 300)
    assert.equal((await manager.health()).stores[0].status, 'ok')
  })

  test('an already aborted signal syncs nothing; a signal never aborted is let go', async () => {
    const [manager] = await cancellable()
    const nothing = await manager.sync({ signal: AbortSignal.abort() })
    assert.equal(nothing.cancelled, true)
    assert.equal(nothing.store('eu').error.code, 'cancelled')
    assert.equal((await manager.counts()).orders, 0)

    const signal = new AbortController().signal
    const done = await manager.sync({ signal })
    assert.equal(done.cancelled, false)
    assert.equal((await manager.counts()).orders, 300)
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'the listener is removed')
  })

  test('a throwing onProgress cancels the sync and rejects with what it threw', async () => {
    const [manager] = await cancellable(slow)
    const started = performance.now()
    const boom = new Error('the progress bar broke')
    let calls = 0
    const err = await rejection(manager.sync({
      onProgress: () => {
        calls += 1
        throw boom
      },
    }))
    assert.equal(err, boom)
    assert.ok(calls >= 1)
    assert.ok(performance.now() - started < 5000, 'the slow pages were not waited for')
    const [run] = await manager.runs()
    assert.equal(run.ok, false)
    assert.equal(run.report.error.code, 'cancelled')
    assert.ok((await manager.counts()).orders < 300, 'the sync stopped')
  })
})

test('bad arguments reject with a code', async () => {
  const woo = fake('woocommerce', { orders: 5 })
  const path = registry(`
[stores.eu]
platform = "woocommerce"
url = "${woo.url}"
consumer_key = "env:NX_NODE_UNUSED_KEY"
consumer_secret = "env:NX_NODE_UNUSED_SECRET"
`)
  const manager = await Manager.fromToml(path)
  const unknown = await rejection(manager.sync({ stores: ['eu', 'nowhere'] }))
  assert.equal(unknown.code, 'invalid_argument')
  assert.match(unknown.message, /nowhere/)
  assert.equal((await rejection(manager.sync({ onProgres: () => {} }))).code, 'invalid_argument')
  assert.equal((await rejection(manager.sync({ signal: { aborted: false } }))).code, 'invalid_argument')
  const notFunction = await rejection(manager.sync({ onProgress: 'log' }))
  assert.equal(notFunction.code, 'invalid_argument')
  assert.match(notFunction.message, /onProgress.*function/)
  assert.equal((await rejection(Manager.fromToml(path, { onAlert: 42 }))).code, 'invalid_argument')
  assert.equal((await rejection(manager.check({ stores: ['nowhere'] }))).code, 'invalid_argument')
  assert.equal((await rejection(manager.orders({ platform: 'bigcommerce' }))).code, 'unknown_platform')
  assert.equal((await rejection(manager.orders({ store: 'eu' }))).code, 'invalid_argument')
  assert.equal((await rejection(manager.transactions({ column: true }))).code, 'invalid_argument')
  assert.equal((await rejection(manager.runs({ limit: -1 }))).code, 'invalid_argument')
  // Nothing was synced by the refused calls.
  assert.deepEqual(await manager.runs(), [])
})
