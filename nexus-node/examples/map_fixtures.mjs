// Maps the bundled store payloads with the Node binding and prints a short summary.
// Run from nexus-node/ after `npm run build`: `node examples/map_fixtures.mjs`.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createRequire } from 'node:module'
import { createHmac } from 'node:crypto'

const require = createRequire(import.meta.url)
const { mapOrders, mapCustomers, verifyWebhook } = require('../index.js')
const fixtures = resolve(import.meta.dirname, '../../tests/fixtures')
const read = (rel) => readFileSync(resolve(fixtures, rel))

for (const [platform, file] of [
  ['woocommerce', 'woocommerce/orders_list.json'],
  ['shopify', 'shopify/orders.json'],
  ['magento', 'magento/order.json'],
]) {
  const { records, errors } = mapOrders(platform, read(file), { store: `demo-${platform}` })
  for (const order of records) {
    const units = order.line_items.reduce((n, line) => n + line.quantity, 0)
    console.log(`${platform.padEnd(12)} order ${order.source.id.padEnd(10)} ${order.status.padEnd(11)} ${units} units  ${order.total.amount} ${order.currency}`)
  }
  for (const e of errors) console.log(`${platform.padEnd(12)} refused ${e.path}: ${e.message} [${e.code}]`)
}

const customers = mapCustomers('shopify', read('shopify/customers.json'))
console.log(`shopify      ${customers.records.length} customer(s): ${customers.records.map((c) => c.email).join(', ')}`)

// A webhook as a Node service receives it: raw body plus headers.
const body = read('woocommerce/order.json')
const headers = {
  'x-wc-webhook-signature': createHmac('sha256', 'demo-secret').update(body).digest('base64'),
  'x-wc-webhook-topic': 'order.updated',
}
const hook = verifyWebhook('woocommerce', 'demo-secret', headers, body)
console.log(`webhook      ${hook.topic}: order ${hook.records[0].source.id} (${hook.records[0].total.amount} ${hook.records[0].currency})`)
