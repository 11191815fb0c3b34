// The connectors and the fake stores from Node, end to end over 127.0.0.1 (never the
// internet): paged and incremental reads, wrong credentials, injected faults, bad options.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import { createRequire } from 'node:module'
import { rejection, thrown } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { FakeStore, Magento, Shopify, WooCommerce } = require('../index.js')

const PLATFORMS = ['woocommerce', 'shopify', 'magento']
// Small pages, so that every read below spans several of them.
const SMALL_PAGES = { woocommerce: 40, shopify: 50, magento: 60 }

/** Every fake store started here, closed when the file is done. */
const fakes = []
function fake(platform, options) {
  const store = new FakeStore(platform, options)
  fakes.push(store)
  return store
}
after(() => {
  for (const store of fakes) store.close()
})

const ids = (records) => records.map((r) => r.source.id)
const sorted = (list) => [...list].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))

/** A connector of `platform` with wrong credentials, and the wrong secret it holds. */
function wrongConnector(platform, url) {
  const wrong = 'wrong_secret_value_0987654321'
  switch (platform) {
    case 'woocommerce':
      return [new WooCommerce({ url, consumerKey: 'ck_wrong_key', consumerSecret: wrong, maxAttempts: 1 }), wrong]
    case 'shopify':
      return [new Shopify({ shop: url, accessToken: wrong, maxAttempts: 1 }), wrong]
    default:
      return [new Magento({ url, token: wrong, allowPlainHttp: true, maxAttempts: 1 }), wrong]
  }
}

// The platforms run side by side: each waits a second for the store's clock.
describe('each platform', { concurrency: true }, () => {
  for (const platform of PLATFORMS) {
    test(`${platform}: a paged read, then an incremental read of exactly the changes`, async () => {
      const store = fake(platform, { orders: 150 })
      const shop = store.connector({ pageSize: SMALL_PAGES[platform] })
      assert.equal(shop.platform, platform)
      assert.ok(shop instanceof { woocommerce: WooCommerce, shopify: Shopify, magento: Magento }[platform])

      const seen = []
      const numbers = []
      let checkpoint = null
      for await (const page of shop.pages('orders')) {
        numbers.push(page.number)
        assert.deepEqual(page.errors, [])
        assert.ok(page.records.every((r) => r.source.platform === platform))
        seen.push(...ids(page.records))
        assert.ok(page.checkpoint === null || typeof page.checkpoint.updatedAt === 'string')
        checkpoint = page.checkpoint
      }
      assert.ok(numbers.length >= 3, `only ${numbers.length} pages`)
      assert.deepEqual(numbers, numbers.map((_, i) => i + 1))
      assert.equal(new Set(seen).size, seen.length, 'an order was returned twice')
      assert.deepEqual(sorted(seen), store.ids('orders'))
      assert.ok(checkpoint && checkpoint.id && !Number.isNaN(Date.parse(checkpoint.updatedAt)))

      const changed = store.mutate(3, 2)
      assert.equal(changed.length, 5)
      // Stores keep modification times to the second, and a read leaves the second it starts
      // in for the next read: let the changes' second end.
      await sleep(1100)
      const again = await shop.read('orders', { since: checkpoint, overlapSeconds: 0 })
      assert.deepEqual(sorted(ids(again.records)), changed)
      assert.ok(again.complete)
      assert.ok(again.checkpoint.updatedAt > checkpoint.updatedAt)

      // Nothing changed since: an empty read that keeps the checkpoint.
      const idle = await shop.read('orders', { since: again.checkpoint, overlapSeconds: 0 })
      assert.deepEqual(idle.records, [])
      assert.deepEqual(idle.checkpoint, again.checkpoint)
    })

    test(`${platform}: wrong credentials reject with auth_failed, and no secret shows`, async () => {
      const store = fake(platform, { orders: 5 })
      const [shop, wrong] = wrongConnector(platform, store.url)
      // One call at a time: a second promise made up front could reject before anything
      // awaits it, which node:test reports as an unhandled rejection.
      for (const call of [() => shop.check(), () => shop.read('orders')]) {
        const err = await rejection(call())
        assert.equal(err.code, 'auth_failed')
        assert.ok(!err.message.includes(wrong), err.message)
        assert.ok(!inspect(err).includes(wrong))
      }
      assert.ok(!inspect(shop, { showHidden: true, depth: 5 }).includes(wrong))
      assert.ok(!JSON.stringify(shop).includes(wrong))
      assert.ok(store.stats().authFailures >= 2)
    })

    test(`${platform}: injected faults are retried and nothing is lost`, async () => {
      const faults = { 2: '503', 3: 'html', 4: 'truncated', 5: 'drop', 6: '429:0.05' }
      const store = fake(platform, { orders: 120, faults })
      const shop = store.connector({ pageSize: SMALL_PAGES[platform] })
      const all = await shop.read('orders')
      assert.deepEqual(all.errors, [])
      assert.equal(new Set(ids(all.records)).size, all.records.length)
      assert.deepEqual(sorted(ids(all.records)), store.ids('orders'))
      const stats = store.stats()
      assert.ok(stats.requests >= all.pages + Object.keys(faults).length, JSON.stringify(stats))
      assert.ok(stats.rateLimited >= 1)
    })

    test(`${platform}: check() and capabilities() describe the store`, async () => {
      const shop = fake(platform, { orders: 5 }).connector()
      const info = await shop.check()
      assert.equal(info.platform, platform)
      assert.match(info.currency, /^[A-Z]{3}$/)
      const caps = shop.capabilities()
      assert.ok(caps.entities.includes('orders'))
      assert.ok(caps.maxPageSize >= caps.defaultPageSize)
    })
  }
})

test('customers and products are read too, with the page total the store announces', async () => {
  const store = fake('woocommerce', { orders: 10, customers: 30, products: 12 })
  const shop = store.connector({ pageSize: 25 })
  const customers = await shop.read('customers')
  assert.deepEqual(sorted(ids(customers.records)), store.ids('customers'))
  const products = await shop.read('products')
  assert.deepEqual(sorted(ids(products.records)), store.ids('products'))
  const first = await shop.pages('customers').next()
  assert.equal(first.done, false)
  assert.equal(first.value.total, 30)
})

test('since also takes an ISO date; maxPages stops a read with a checkpoint to resume from', async () => {
  const store = fake('magento', { orders: 90 })
  const shop = store.connector({ pageSize: 20 })
  const part = await shop.read('orders', { maxPages: 2 })
  assert.equal(part.pages, 2)
  assert.equal(part.records.length, 40)
  assert.equal(part.complete, false)
  const rest = await shop.read('orders', { since: part.checkpoint, overlapSeconds: 0 })
  assert.deepEqual(sorted([...ids(part.records), ...ids(rest.records)]), store.ids('orders'))

  const everything = await shop.read('orders', { since: '2000-01-01T00:00:00Z' })
  assert.equal(everything.records.length, 90)
  assert.equal((await shop.read('orders', { since: null })).records.length, 90)
  const future = await shop.read('orders', { since: new Date(Date.now() + 86_400_000).toISOString() })
  assert.deepEqual(future.records, [])
})

test('break ends a read; the stream is done after it', async () => {
  const store = fake('shopify', { orders: 100 })
  const pages = store.connector({ pageSize: 10 }).pages('orders')
  let n = 0
  for await (const page of pages) {
    assert.equal(page.records.length, 10)
    if (++n === 2) break
  }
  assert.deepEqual(await pages.next(), { done: true, value: undefined })
  assert.ok(store.stats().requests <= 3)
})

test('Magento admin tokens are renewed when they expire, and OAuth 1.0a signs requests', async () => {
  const store = fake('magento', { orders: 30 })
  const shop = store.connector({ auth: 'password' })
  assert.equal((await shop.read('orders')).records.length, 30)
  store.expireTokens()
  assert.equal((await shop.read('orders')).records.length, 30)
  assert.equal(store.stats().tokensIssued, 2)
  const signed = store.connector({ auth: 'oauth1' })
  assert.equal((await signed.read('orders')).records.length, 30)
})

test('Shopify reports deleted orders as tombstones', async () => {
  const store = fake('shopify', { orders: 20 })
  const since = new Date(Date.now() - 60_000).toISOString()
  const deleted = store.delete('orders', 2)
  const stones = await store.connector().tombstones('orders', since)
  assert.deepEqual(sorted(stones.map((t) => t.id)), deleted)
  assert.ok(stones.every((t) => t.entity === 'orders' && !Number.isNaN(Date.parse(t.deletedAt))))
  assert.deepEqual(await fake('woocommerce', { orders: 1 }).connector().tombstones('orders'), [])
})

test('a request past its timeout rejects with code "timeout"', async () => {
  const store = fake('woocommerce', { orders: 5, faults: { 1: 'slow:1' } })
  const shop = store.connector({ timeoutMs: 200, maxAttempts: 1 })
  const err = await rejection(shop.check())
  assert.equal(err.code, 'timeout')
})

test('bad options throw or reject with a clear code', async () => {
  const store = fake('woocommerce', { orders: 5 })
  const url = store.url
  const woo = (extra) => new WooCommerce({ url, consumerKey: 'ck_x', consumerSecret: 'cs_x', ...extra })
  const cases = [
    [() => woo({ pageSize: 0 }), 'invalid_config', /page_size/],
    [() => woo({ pageSize: -1 }), 'invalid_argument', /pageSize/],
    [() => woo({ auth: 'basic' }), 'invalid_config', /plain HTTP/],
    [() => woo({ auth: 'digest' }), 'invalid_argument', /auth/],
    [() => woo({ currency: 'euro' }), 'invalid_argument', /euro/],
    [() => woo({ timeoutMs: 0 }), 'invalid_argument', /timeoutMs/],
    [() => woo({ pagesize: 10 }), 'invalid_argument', /unknown option pagesize/],
    [() => woo({ url: 'ftp://shop.example' }), 'invalid_config', /http or https/],
    [() => woo({ consumerKey: '' }), 'invalid_config', /consumer key/],
    [() => new WooCommerce({ url, consumerSecret: 'cs_x' }), 'invalid_argument', /consumerKey/],
    [() => new Shopify({ shop: url, accessToken: 'x', apiVersion: 'latest' }), 'invalid_config', /api_version/],
    [() => new Shopify({ shop: url, accessToken: 'x', pageSize: 251 }), 'invalid_config', /page_size/],
    [() => new Magento({ url: 'https://m.example' }), 'invalid_config', /credentials are required/],
    [() => new Magento({ url: 'https://m.example', token: 't', username: 'u', password: 'p' }), 'invalid_config', /one kind/],
    [() => new Magento({ url, token: 't' }), 'invalid_config', /plain HTTP/],
    [() => new Magento({ url: 'https://m.example', token: 't', pageSize: 0 }), 'invalid_config', /page_size/],
    [() => woo().pages('orderz'), 'unknown_entity', /orderz/],
    [() => woo().pages('orders', { overlapSeconds: -1 }), 'invalid_argument', /overlapSeconds/],
    [() => woo().pages('orders', { since: 'yesterday' }), 'invalid_argument', /since/],
    [() => woo().pages('orders', { sinse: '2024-01-01T00:00:00Z' }), 'invalid_argument', /sinse/],
    [() => woo().pages('transactions'), 'unsupported', /transaction/],
    [() => new FakeStore('ebay'), 'unknown_platform', /ebay/],
    [() => new FakeStore('shopify', { faults: { 1: 'explode' } }), 'invalid_argument', /explode/],
    [() => new FakeStore('shopify', { ratePerMinute: 10, shopifyBucket: true }), 'invalid_argument', /not both/],
    [() => store.connector({ auth: 'basic' }), 'invalid_config', /plain HTTP/],
    [() => store.connector({ auth: 'password' }), 'invalid_argument', /auth/],
  ]
  for (const [fn, code, message] of cases) {
    const err = thrown(fn)
    assert.equal(err.code, code, `${fn}: ${err.message}`)
    assert.match(err.message, message, String(fn))
  }
  // Promise-returning calls reject rather than throw.
  assert.equal((await rejection(woo().read('orderz'))).code, 'unknown_entity')
  assert.equal((await rejection(woo().read('orders', { maxPages: 0 }))).code, 'invalid_argument')
  assert.equal((await rejection(woo().tombstones('orders', 'soon'))).code, 'invalid_argument')
})

test('a closed fake store refuses with code "closed", and a connector to it fails cleanly', async () => {
  const store = new FakeStore('woocommerce', { orders: 3 })
  const shop = store.connector({ maxAttempts: 1 })
  assert.equal(store.closed, false)
  store.close()
  store.close()
  assert.equal(store.closed, true)
  assert.equal(thrown(() => store.ids('orders')).code, 'closed')
  assert.equal(thrown(() => store.connector()).code, 'closed')
  assert.equal((await rejection(shop.check())).code, 'network_error')
})

test('the fake store describes itself; its credentials are those the connector gets', () => {
  const store = fake('magento', { orders: 7, customers: 3, products: 4, seed: 11 })
  assert.equal(store.platform, 'magento')
  assert.match(store.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(store.ids('orders').length, 7)
  assert.equal(store.ids('customers').length, 3)
  assert.equal(store.ids('products').length, 4)
  assert.equal(typeof store.credentials.accessToken, 'string')
  assert.deepEqual(store.stats(), { requests: 0, rateLimited: 0, authFailures: 0, tokensIssued: 0 })
  assert.ok(!inspect(store).includes(store.credentials.password))
})
