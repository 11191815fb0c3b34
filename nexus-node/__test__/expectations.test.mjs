// The mapping expectations shared by the Rust, Python and Node test suites
// (tests/expectations.json at the top of the repository), checked through the Node binding.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'node:test'

import {
  mapCustomers,
  mapOrders,
  mapProducts,
  mapRefunds,
  mapTransactions,
  mapVariants,
} from '../index.js'

const testsDir = resolve(import.meta.dirname, '../../tests')
const { cases } = JSON.parse(readFileSync(resolve(testsDir, 'expectations.json'), 'utf8'))

const mappers = {
  orders: mapOrders,
  customers: mapCustomers,
  products: mapProducts,
  variants: mapVariants,
  refunds: mapRefunds,
  transactions: mapTransactions,
}

/** Resolves an RFC 6901 JSON Pointer; throws when the pointer does not lead anywhere. */
function pointer(document, path) {
  if (path === '') return document
  assert.ok(path.startsWith('/'), `JSON pointer ${JSON.stringify(path)} must start with "/"`)
  let node = document
  for (const raw of path.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const found = Array.isArray(node)
      ? /^(0|[1-9][0-9]*)$/.test(token) && Number(token) < node.length
      : node !== null && typeof node === 'object' && Object.hasOwn(node, token)
    assert.ok(found, `JSON pointer ${path}: no ${JSON.stringify(token)} in ${JSON.stringify(node)?.slice(0, 200)}`)
    node = node[Array.isArray(node) ? Number(token) : token]
  }
  return node
}

test('the expectations file has cases', () => {
  assert.ok(cases.length > 0)
})

for (const c of cases) {
  test(`${c.name} (${c.platform} ${c.entity})`, () => {
    const map = mappers[c.entity]
    assert.ok(map, `unknown entity ${c.entity}`)
    // Fixtures go in as the bytes a store sent (a Buffer), inline payloads as strings.
    const payload = c.fixture !== undefined ? readFileSync(resolve(testsDir, 'fixtures', c.fixture)) : c.payload
    assert.ok(payload !== undefined, 'a case needs a fixture or a payload')
    const result = map(c.platform, payload, { store: c.store, currency: c.currency, keepUnmapped: c.keep_unmapped })

    const pick = ({ index, path, code }) => ({ index, path, code })
    assert.deepStrictEqual(result.errors.map(pick), c.errors.map(pick))
    assert.equal(result.records.length, c.records)

    for (const check of c.values ?? []) {
      const record = result.records[check.record]
      assert.ok(record, `no record ${check.record}`)
      const where = `record ${check.record} ${check.path}`
      if (check.absent) {
        const cut = check.path.lastIndexOf('/')
        const container = pointer(record, check.path.slice(0, cut))
        assert.ok(!Object.hasOwn(container, check.path.slice(cut + 1)), `${where} is present`)
        continue
      }
      const actual = pointer(record, check.path)
      if ('equals' in check) {
        assert.deepStrictEqual(actual, check.equals, where)
      } else if ('length' in check) {
        assert.ok(Array.isArray(actual), `${where} is not a list`)
        assert.equal(actual.length, check.length, where)
      } else {
        assert.fail(`${where}: unknown check ${JSON.stringify(check)}`)
      }
    }
  })
}
