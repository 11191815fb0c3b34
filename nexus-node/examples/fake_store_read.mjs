// Reads a store with the Node connectors: a fake WooCommerce store starts on 127.0.0.1 (no
// account, nothing leaves the machine), its orders are read page by page with progress and
// a running checkpoint, then a few orders change and an incremental read from the
// checkpoint returns exactly those.
// Run from nexus-node/ after `npm run build`: `node examples/fake_store_read.mjs`.
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'

const require = createRequire(import.meta.url)
const { FakeStore } = require('../index.js')

/** Reads every order after `since`, printing a line per page; returns the checkpoint. */
async function readOrders(shop, since) {
  const started = performance.now()
  let records = 0
  let checkpoint = since
  // A real store's clock and late writes need a look-back (the default, 300 s); the fake
  // store needs none.
  for await (const page of shop.pages('orders', { since, overlapSeconds: 0 })) {
    records += page.records.length
    checkpoint = page.checkpoint
    const total = page.total === null ? '' : ` of ${page.total}`
    const at = checkpoint ? `${checkpoint.updatedAt} #${checkpoint.id}` : '-'
    console.log(`    page ${String(page.number).padStart(3)}: ${String(records).padStart(4)} orders${total}, ${page.errors.length} refused, checkpoint ${at}`)
  }
  console.log(`    ${records} orders in ${((performance.now() - started) / 1000).toFixed(2)} s`)
  return checkpoint
}

const fake = new FakeStore('woocommerce', { orders: 1200 })
try {
  // The store's address and credentials filled in; over plain http WooCommerce signs with
  // OAuth 1.0a, so the secret never travels.
  const shop = fake.connector()
  const info = await shop.check()
  console.log(`woocommerce: ${info.name} (${info.apiVersion}), currency ${info.currency}, time zone ${info.timezone}`)
  console.log('  full read')
  const checkpoint = await readOrders(shop, null)
  // Persist `checkpoint` (plain JSON) between runs; here the next run follows at once.
  const changed = fake.mutate(3, 2)
  // Stores keep modification times to the second, and a read leaves records changed in the
  // second it starts for the next read: let that second pass.
  await sleep(1100)
  console.log(`  ${changed.length} orders changed in the store (${changed.join(', ')}); incremental read`)
  const after = await readOrders(shop, checkpoint)
  console.log(`  next read starts after ${after.updatedAt} #${after.id}`)
} finally {
  fake.close()
}
