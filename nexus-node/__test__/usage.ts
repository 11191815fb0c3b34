// Type-checked by `npm run typecheck` (tsc --noEmit): what a TypeScript user writes against
// the generated index.d.ts and the record types generated from the JSON Schema. Each
// `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.

import { readFileSync } from 'node:fs'

import {
  jsonSchema,
  mapCustomers,
  mapOrders,
  mapProducts,
  mapRefunds,
  mapTransactions,
  mapVariants,
  verifyWebhook,
  version,
  type Customer,
  type MapOptions,
  type MappingError,
  type MappingResult,
  type Money,
  type NexusRecord,
  type Order,
  type OrderStatus,
  type PlatformKind,
  type Product,
  type Refund,
  type Transaction,
  type Variant,
} from '../index.js'

const buf: Buffer = readFileSync('orders.json')

const r: MappingResult<Order> = mapOrders('shopify', buf)
const order: Order = r.records[0]
const total: string = order.total.amount
const money: Money = order.line_items[0].unit_price
const status: OrderStatus = order.status
const platform: PlatformKind = order.source.platform
const id: string = order.source.id
const email: string | null | undefined = order.email
const sku: string | null | undefined = order.line_items[0].sku
const quantity: number = order.line_items[0].quantity
const meta: unknown = order.metadata['_wc_order_attribution']

const error: MappingError = r.errors[0]
const index: number | null = error.index
const where: string = `${error.path}: ${error.code} (${error.id ?? 'no id'}) ${error.message}`

const options: MapOptions = { store: 'shop-eu', currency: 'EUR' }
const customers: Customer[] = mapCustomers('woocommerce', '[]', options).records
const products: Product[] = mapProducts('magento', { items: [] }).records
const price: string | null | undefined = products[0].variants[0].price
const variants: Variant[] = mapVariants('woocommerce', new Uint8Array()).records
const refunds: Refund[] = mapRefunds('shopify', new ArrayBuffer(0), {}).records
const transactions: Transaction[] = mapTransactions('shopify', [], null).records
const any: NexusRecord[] = [order, ...customers, ...products, ...variants, ...refunds, ...transactions]
const schema: Record<string, unknown> = jsonSchema()
const v: string = version()

// @ts-expect-error: amounts are exact decimal strings, never numbers
const asNumber: number = order.total.amount

// @ts-expect-error: a misspelt field of a record
order.totl

// @ts-expect-error: a misspelt option
mapOrders('shopify', buf, { stor: 'shop-eu' })

// @ts-expect-error: not a status
const notStatus: OrderStatus = 'shipped'

// @ts-expect-error: a number is not a payload
mapOrders('shopify', 42)

// @ts-expect-error: the records of mapOrders are orders, not customers
const wrong: Customer[] = mapOrders('shopify', buf).records

export {
  any, asNumber, email, id, index, meta, money, notStatus, platform, price, quantity, schema, sku,
  status, total, v, where, wrong,
}

// Webhooks: the result is typed.
const hook = verifyWebhook('shopify', 'secret', { 'x-shopify-topic': 'orders/create' }, Buffer.from('{}'))
const topic: string = hook.topic
const deleted: string | null = hook.deletedId
void topic
void deleted
