// What a user of the Node binding relies on beyond the shared mapping expectations.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'node:test'

import { thrown } from './helpers.mjs'

import { generate, typesPath } from '../scripts/gen-types.mjs'
import {
  jsonSchema,
  mapCustomers,
  mapOrders,
  mapProducts,
  mapRefunds,
  mapTransactions,
  mapVariants,
  version,
} from '../index.js'

const root = resolve(import.meta.dirname, '../..')
const fixture = (name) => readFileSync(resolve(root, 'tests/fixtures', name))
const wooOrders = fixture('woocommerce/orders_list.json')

test('an unknown platform throws an Error with code "unknown_platform"', () => {
  const err = thrown(() => mapOrders('ebay', wooOrders))
  assert.equal(err.code, 'unknown_platform')
  assert.match(err.message, /"ebay"/)
})

test('platform names are read as the core reads them', () => {
  assert.equal(mapOrders('WooCommerce', wooOrders).records.length, 2)
})

test('transactions of a platform without them throw with code "unsupported"', () => {
  const err = thrown(() => mapTransactions('woocommerce', '[]'))
  assert.equal(err.code, 'unsupported')
  assert.match(err.message, /woocommerce/)
})

test('a truncated payload reports invalid_json and keeps the records before the cut', () => {
  const whole = mapOrders('woocommerce', wooOrders)
  assert.equal(whole.records.length, 2)
  // Cut inside the second order.
  const cut = mapOrders('woocommerce', wooOrders.subarray(0, wooOrders.length - 40))
  assert.deepStrictEqual(cut.records, [whole.records[0]])
  assert.equal(cut.errors.length, 1)
  assert.equal(cut.errors[0].code, 'invalid_json')
  assert.equal(cut.errors[0].index, 1)
})

test('string, Buffer, Uint8Array, ArrayBuffer, object and array payloads all map the same', () => {
  const text = wooOrders.toString('utf8')
  const expected = mapOrders('woocommerce', text)
  assert.equal(expected.records.length, 2)
  assert.deepStrictEqual(expected.errors, [])
  // A view that does not start at the beginning of its memory.
  const offset = Buffer.from(`    ${text}`).subarray(4)
  assert.ok(offset.byteOffset > 0)
  const copy = new Uint8Array(wooOrders)
  const payloads = {
    Buffer: wooOrders,
    'Buffer at an offset': offset,
    Uint8Array: copy,
    ArrayBuffer: copy.buffer,
    array: JSON.parse(text),
  }
  for (const [kind, payload] of Object.entries(payloads)) {
    assert.deepStrictEqual(mapOrders('woocommerce', payload), expected, kind)
  }
  const envelope = fixture('shopify/orders.json')
  assert.deepStrictEqual(
    mapOrders('shopify', JSON.parse(envelope.toString('utf8'))),
    mapOrders('shopify', envelope),
    'object',
  )
})

test('an object payload goes through JSON.stringify (toJSON, Dates)', () => {
  const order = JSON.parse(wooOrders.toString('utf8'))[0]
  order.date_created_gmt = new Date('2017-03-22T19:28:02Z')
  const { records, errors } = mapOrders('woocommerce', order)
  assert.deepStrictEqual(errors, [])
  assert.equal(records[0].created_at, '2017-03-22T19:28:02Z')
})

test('money stays exact and ids stay strings for text payloads', () => {
  const payload = '{"order": {"id": 9007199254740993, "currency": "USD", "created_at": "2024-03-10T02:30:00Z", "total_price": "0.30", "line_items": []}}'
  const { records } = mapOrders('shopify', Buffer.from(payload))
  assert.equal(records[0].source.id, '9007199254740993')
  assert.deepStrictEqual(records[0].total, { amount: '0.30', currency: 'USD' })
})

test('payloads that are not JSON-like throw with code "invalid_argument"', () => {
  for (const payload of [new Float64Array([1, 2]), new DataView(new ArrayBuffer(2)), { n: 1n }]) {
    const err = thrown(() => mapOrders('woocommerce', payload))
    assert.equal(err.code, 'invalid_argument', String(payload))
    assert.match(err.message, /payload/)
  }
})

test('mapping errors carry index, id, path, code and message', () => {
  const payload = JSON.stringify([
    { id: 1, status: 'completed', currency: 'EUR', date_created_gmt: '2024-01-05T10:00:00', total: '12.50', line_items: [] },
    { id: 2, status: 'completed', currency: 'EUR', date_created_gmt: '2024-01-05T10:00:00', total: 'abc', line_items: [] },
    { status: 'completed' },
  ])
  const { records, errors } = mapOrders('woocommerce', payload)
  assert.equal(records.length, 1)
  assert.deepStrictEqual(
    errors.map(({ index, id, path, code }) => ({ index, id, path, code })),
    [
      { index: 1, id: '2', path: '[1].total', code: 'invalid_decimal' },
      { index: 2, id: null, path: '[2].id', code: 'missing_field' },
    ],
  )
  assert.match(errors[0].message, /abc/)
  assert.deepStrictEqual(Object.keys(errors[1]).sort(), ['code', 'id', 'index', 'message', 'path'])
})

test('a payload that is not JSON at all is one error with a null index', () => {
  const { records, errors } = mapCustomers('shopify', '<html>Access denied</html>')
  assert.deepStrictEqual(records, [])
  assert.equal(errors.length, 1)
  assert.equal(errors[0].index, null)
  assert.equal(errors[0].id, null)
  assert.equal(errors[0].code, 'invalid_json')
})

test('options name the store and give the currency of prices without one', () => {
  const product = fixture('woocommerce/product.json')
  assert.equal(mapProducts('woocommerce', product).records[0].source.store, 'default')
  const { records } = mapProducts('woocommerce', product, { store: 'shop-eu', currency: 'EUR' })
  assert.equal(records[0].source.store, 'shop-eu')
  assert.equal(records[0].currency, 'EUR')
  const err = thrown(() => mapProducts('woocommerce', product, { currency: 'euros' }))
  assert.equal(err.code, 'invalid_argument')
  assert.match(err.message, /currency/)
})

test('every entity has its function', () => {
  assert.equal(mapCustomers('woocommerce', fixture('woocommerce/customers_list.json')).records.length, 2)
  assert.equal(mapVariants('shopify', fixture('shopify/product_variants.json')).records.length, 4)
  assert.equal(mapRefunds('shopify', fixture('shopify/order_refunds.json')).records.length, 1)
  assert.equal(mapTransactions('shopify', fixture('shopify/order_transactions.json')).records.length, 3)
})

test('jsonSchema() is the committed schema/nexus.schema.json', () => {
  const committed = JSON.parse(readFileSync(resolve(root, 'schema/nexus.schema.json'), 'utf8'))
  assert.deepStrictEqual(jsonSchema(), committed)
})

test('types.d.ts is what the committed schema generates (npm run gen-types)', async () => {
  assert.equal(readFileSync(typesPath, 'utf8'), await generate())
})

test('the npm package and the native addon have the same version', () => {
  const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8'))
  assert.equal(pkg.version, version())
  const cargo = readFileSync(resolve(root, 'Cargo.toml'), 'utf8')
  assert.equal(cargo.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)[1], version())
})
