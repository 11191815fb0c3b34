// Webhook verification from Node: signatures computed here with node:crypto are accepted,
// a changed body or a wrong secret is refused with code "auth_failed".
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { verifyWebhook } = require('../index.js')
const fixtures = resolve(import.meta.dirname, '../../tests/fixtures')
const sign = (secret, body) => createHmac('sha256', secret).update(body).digest('base64')

test('a Shopify order webhook is verified and mapped', () => {
  const body = readFileSync(resolve(fixtures, 'shopify/order.json'))
  const hook = verifyWebhook('shopify', 'shpss_secret', {
    'x-shopify-hmac-sha256': sign('shpss_secret', body),
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'jsmith.myshopify.com',
  }, body, { store: 'main' })
  assert.equal(hook.entity, 'orders')
  assert.equal(hook.event, 'create')
  assert.equal(hook.source, 'jsmith.myshopify.com')
  assert.deepEqual(hook.records.map((r) => r.source.id), ['450789469'])
  assert.equal(hook.records[0].source.store, 'main')
})

test('a WooCommerce webhook with list-valued headers', () => {
  const body = readFileSync(resolve(fixtures, 'woocommerce/order.json'), 'utf8')
  const hook = verifyWebhook('woocommerce', 'wc_secret', {
    'X-WC-Webhook-Signature': [sign('wc_secret', body)],
    'X-WC-Webhook-Topic': 'order.updated',
    'X-Other': undefined,
  }, body)
  assert.equal(hook.event, 'update')
  assert.equal(hook.records[0].total.amount, '29.35')
})

test('a changed body or a wrong secret is refused', () => {
  const body = readFileSync(resolve(fixtures, 'shopify/order.json'))
  const headers = { 'X-Shopify-Hmac-Sha256': sign('right', body), 'X-Shopify-Topic': 'orders/create' }
  assert.throws(() => verifyWebhook('shopify', 'wrong', headers, body), (e) => e.code === 'auth_failed' && !e.message.includes('wrong'))
  const changed = Buffer.from(body.toString().replace('598.94', '1.00'))
  assert.throws(() => verifyWebhook('shopify', 'right', headers, changed), (e) => e.code === 'auth_failed')
})
