// The data-quality engine through the Node binding: checkQuality, RuleSet and QualityReport.

import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, test } from 'node:test'

import { thrown } from './helpers.mjs'

import { QualityReport, RuleSet, checkQuality, mapCustomers, mapOrders } from '../index.js'

const root = resolve(import.meta.dirname, '../..')
const fixture = (name) => readFileSync(resolve(root, 'tests/fixtures', name))
const wooOrders = () => mapOrders('woocommerce', fixture('woocommerce/orders_list.json')).records
const dirty = JSON.parse(readFileSync(new URL('../../tests/quality/dirty_orders.json', import.meta.url), 'utf8'))
const expected = JSON.parse(readFileSync(new URL('../../tests/quality/expected_report.json', import.meta.url), 'utf8'))
const AS_OF = '2025-01-01T00:00:00Z'

const dir = mkdtempSync(join(tmpdir(), 'nexus-quality-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** What `parity_summary` in nexus-core/tests/it/quality.rs compares, from the Node report. */
function paritySummary(report) {
  const rulesFailed = {}
  for (const r of report.rules) if (r.records_failed > 0) rulesFailed[r.rule] = r.records_failed
  const stores = {}
  for (const s of report.stores) stores[s.store ?? ''] = { score: s.score, grade: s.grade }
  return {
    score: report.score,
    grade: report.grade,
    records: report.records,
    dimensions: report.dimensions,
    rules_failed: rulesFailed,
    stores,
    violations: report.violations.length,
    rejected: report.rejected.length,
    changes: report.cleansing.length,
    top_recommendation: report.recommendations[0]?.rule ?? null,
  }
}

test('the shared dirty orders give the report the Rust core and Python give', () => {
  const first = checkQuality(dirty.orders, { entity: 'orders', asOf: dirty.as_of })
  const cleansed = checkQuality(dirty.orders, { entity: 'orders', asOf: dirty.as_of, cleanse: true, previous: first })
  assert.deepStrictEqual(paritySummary(first), expected.check)
  assert.deepStrictEqual(paritySummary(cleansed), expected.cleansed)
  assert.ok(cleansed.score > first.score)
  assert.equal(cleansed.trend.direction, 'improved')
})

test('mapped WooCommerce orders are checked with their ids, fields and stores', () => {
  const orders = wooOrders()
  const report = checkQuality(orders, { entity: 'orders', asOf: AS_OF })
  assert.equal(report.records, 2)
  assert.equal(report.generatedAt, AS_OF)
  assert.ok(report.score > 0 && report.score <= 100)
  // The documented example orders come from example.com; order 723 is completed unpaid.
  const rule = (id) => report.rules.find((r) => r.rule === id)
  assert.equal(rule('order.email_placeholder').records_failed, 2)
  for (const id of ['order.total_matches', 'order.line_total', 'order.currency_consistent']) {
    assert.equal(rule(id).records_failed, 0, id)
  }
  const unpaid = report.violations.filter((v) => v.rule === 'order.completed_without_payment')
  assert.deepStrictEqual(unpaid.map((v) => v.record_id), ['723'])
  // Violations are the JSON's own objects, snake_case keys and all.
  const v = report.violations[0]
  assert.deepStrictEqual(Object.keys(v).sort(), [
    'dimension', 'entity', 'fixable', 'index', 'message', 'path', 'platform', 'record_id', 'rule', 'severity', 'store', 'value',
  ])
  assert.equal(v.platform, 'woocommerce')
  assert.equal(v.record_id, orders[v.index].source.id)
  assert.deepStrictEqual(report.stores.map((s) => [s.platform, s.store, s.records]), [['woocommerce', 'default', 2]])
  assert.deepStrictEqual(report.entities.map((e) => e.entity), ['order'])
  assert.deepStrictEqual(Object.keys(report.dimensions).sort(), Object.keys(report.dimensionDetails).sort())
  for (const [name, detail] of Object.entries(report.dimensionDetails)) {
    assert.equal(report.dimensions[name], detail.score, name)
  }
  assert.equal(report.recommendations[0].rank, 1)
  assert.equal(report.trend, null)
  assert.equal(report.cleansedRecords, null)
  assert.deepStrictEqual(report.cleansing, [])
  // A getter returns the same object on every read.
  assert.equal(report.violations, report.violations)
})

test('records given as JSON text or bytes are checked like the objects', () => {
  const orders = wooOrders()
  const options = { entity: 'orders', asOf: AS_OF }
  const fromObjects = checkQuality(orders, options).toJSON()
  const text = JSON.stringify(orders)
  assert.deepStrictEqual(checkQuality(text, options).toJSON(), fromObjects)
  assert.deepStrictEqual(checkQuality(Buffer.from(text), options).toJSON(), fromObjects)
})

test('a dataset is checked in one report, with the cross-entity rules', () => {
  const orders = wooOrders()
  const customers = mapCustomers('woocommerce', fixture('woocommerce/customers_list.json')).records
  assert.ok(customers.length > 0)
  const alone = checkQuality(orders, { entity: 'orders', asOf: AS_OF })
  assert.equal(alone.rules.find((r) => r.rule === 'order.unknown_customer'), undefined)

  const report = checkQuality({ orders, customers }, { asOf: AS_OF })
  assert.equal(report.records, orders.length + customers.length)
  assert.deepStrictEqual(report.entities.map((e) => [e.entity, e.records]), [['order', orders.length], ['customer', customers.length]])
  const unknown = report.rules.find((r) => r.rule === 'order.unknown_customer')
  assert.ok(unknown, 'customers were given with the orders')
  assert.equal(unknown.checked, orders.length)
  // As JSON text too.
  assert.deepStrictEqual(checkQuality(JSON.stringify({ orders, customers }), { asOf: AS_OF }).toJSON(), report.toJSON())
})

test('a rule file changes severities, turns rules off and adds field rules', () => {
  const path = join(dir, 'shop.yaml')
  writeFileSync(path, [
    'version: 1',
    'rules:',
    '  order.email_placeholder: { severity: error }',
    '  order.phone_plausible: { enabled: false }',
    'field_rules:',
    '  - id: shop.coupon_required',
    '    entity: order',
    '    field: note',
    '    required: true',
    '    severity: warning',
    '',
  ].join('\n'))
  const rules = RuleSet.fromFile(path)
  const summary = (set, id) => set.rules.find((r) => r.id === id)
  assert.equal(summary(rules, 'order.email_placeholder').severity, 'error')
  assert.equal(summary(RuleSet.default(), 'order.email_placeholder').severity, 'warning')
  assert.equal(summary(rules, 'order.phone_plausible').enabled, false)
  assert.deepStrictEqual(summary(rules, 'shop.coupon_required'), {
    id: 'shop.coupon_required', entity: 'order', dimension: 'completeness', severity: 'warning', enabled: true, builtin: false, title: summary(rules, 'shop.coupon_required').title,
  })

  const orders = wooOrders()
  const plain = checkQuality(orders, { entity: 'orders', asOf: AS_OF })
  const custom = checkQuality(orders, { entity: 'orders', asOf: AS_OF, rules })
  const hits = (r, id) => r.violations.filter((v) => v.rule === id)
  assert.ok(hits(plain, 'order.phone_plausible').length > 0)
  assert.equal(custom.rules.find((r) => r.rule === 'order.phone_plausible'), undefined)
  assert.deepStrictEqual(hits(plain, 'order.email_placeholder').map((v) => v.severity), ['warning', 'warning'])
  assert.deepStrictEqual(hits(custom, 'order.email_placeholder').map((v) => v.severity), ['error', 'error'])
  assert.equal(custom.rules.find((r) => r.rule === 'shop.coupon_required').checked, 2)
  assert.notEqual(custom.score, plain.score)
  // The same rules as YAML text and as JSON give the same set.
  const yaml = readFileSync(path, 'utf8')
  assert.deepStrictEqual(RuleSet.fromYaml(yaml).rules, rules.rules)
  const json = JSON.stringify({
    version: 1,
    rules: { 'order.email_placeholder': { severity: 'error' }, 'order.phone_plausible': { enabled: false } },
    field_rules: [{ id: 'shop.coupon_required', entity: 'order', field: 'note', required: true, severity: 'warning' }],
  })
  assert.deepStrictEqual(RuleSet.fromJson(json).rules, rules.rules)
})

test('a rule file with a mistake throws code "invalid_rules" naming the file, line and key', () => {
  const path = join(dir, 'typo.yaml')
  writeFileSync(path, 'rules:\n  order.total_matches: {}\n  order.totl_matches: {}\n')
  const err = thrown(() => RuleSet.fromFile(path))
  assert.equal(err.code, 'invalid_rules')
  assert.ok(err.message.startsWith(`${path}:3:`), err.message)
  assert.match(err.message, /rules\.order\.totl_matches/)
  assert.match(err.message, /unknown rule `order\.totl_matches`/)

  const bad = thrown(() => RuleSet.fromYaml('rules:\n  order.total_matches:\n    severity: fatal\n'))
  assert.equal(bad.code, 'invalid_rules')
  assert.match(bad.message, /^3:\d+: rules\.order\.total_matches\.severity: .*unknown severity/)
  assert.equal(thrown(() => RuleSet.fromJson('{"rules": {"order.nope": {}}}')).code, 'invalid_rules')
  assert.equal(thrown(() => RuleSet.fromFile(join(dir, 'missing.yaml'))).code, 'invalid_rules')
})

test('toHtml() is a self-contained page showing the grade', () => {
  const report = checkQuality(dirty.orders, { entity: 'orders', asOf: dirty.as_of })
  const html = report.toHtml()
  assert.ok(html.startsWith('<!DOCTYPE html>'))
  assert.ok(html.includes(`>${report.grade}</div>`), 'the grade is shown')
  assert.ok(html.includes('What to fix first'))
  assert.ok(!html.includes('<script'))
})

test('JSON.stringify(report) reads back with QualityReport.fromJson', () => {
  const report = checkQuality(dirty.orders, { entity: 'orders', asOf: dirty.as_of, cleanse: true })
  const text = JSON.stringify(report)
  const json = JSON.parse(text)
  assert.deepStrictEqual(json, report.toJSON())
  assert.deepStrictEqual(Object.keys(json), [
    'nexus_version', 'generated_at', 'records', 'score', 'grade', 'dimensions', 'entities', 'stores', 'rules',
    'violations', 'cleansing', 'recommendations', 'trend', 'rejected',
  ])
  assert.deepStrictEqual(JSON.parse(report.toJson()), json)
  const back = QualityReport.fromJson(text)
  assert.ok(back instanceof QualityReport)
  assert.deepStrictEqual(back.toJSON(), json)
  assert.equal(back.score, report.score)
  assert.equal(back.grade, report.grade)
  assert.deepStrictEqual(back.violations, report.violations)
  assert.deepStrictEqual(back.cleansing, report.cleansing)
  assert.equal(back.toHtml(), report.toHtml())
  // The cleansed records are not part of the report's JSON.
  assert.ok(Array.isArray(report.cleansedRecords))
  assert.equal(back.cleansedRecords, null)

  const err = thrown(() => QualityReport.fromJson('{"score": 1}'))
  assert.equal(err.code, 'invalid_argument')
})

test('a previous report, as an instance or as JSON text, gives the trend', () => {
  const orders = wooOrders()
  const before = checkQuality(orders, { entity: 'orders', asOf: AS_OF, rules: RuleSet.fromYaml('rules:\n  order.phone_plausible: { enabled: false }\n') })
  const now = checkQuality(orders, { entity: 'orders', asOf: AS_OF, previous: before })
  const trend = now.trend
  assert.equal(trend.previous_score, before.score)
  assert.equal(trend.previous_grade, before.grade)
  assert.equal(trend.previous_generated_at, AS_OF)
  assert.ok(Math.abs(trend.score_change - (now.score - before.score)) < 0.01, `${trend.score_change}`)
  assert.ok(trend.score_change < 0, 'the phone rule turned on costs points')
  assert.equal(trend.direction, trend.score_change <= -0.5 ? 'declined' : 'unchanged')
  const phone = trend.rules.find((r) => r.rule === 'order.phone_plausible')
  assert.deepStrictEqual(phone, { rule: 'order.phone_plausible', previous: 0, current: now.rules.find((r) => r.rule === 'order.phone_plausible').records_failed })
  assert.equal(trend.dimensions.length, 6)

  const fromText = checkQuality(orders, { entity: 'orders', asOf: AS_OF, previous: before.toJson() })
  assert.deepStrictEqual(fromText.trend, trend)
  assert.deepStrictEqual(checkQuality(orders, { entity: 'orders', asOf: AS_OF, previous: JSON.stringify(before) }).trend, trend)

  assert.equal(thrown(() => checkQuality(orders, { entity: 'orders', previous: '{}' })).code, 'invalid_argument')
  const notReport = thrown(() => checkQuality(orders, { entity: 'orders', previous: before.toJSON() }))
  assert.equal(notReport.code, 'invalid_argument')
  assert.match(notReport.message, /previous/)
})

test('cleansing returns the cleansed records and logs every change', () => {
  const orders = wooOrders()
  orders[0].email = '  Jane.Doe@Example.ORG '
  const copy = structuredClone(orders)
  const report = checkQuality(orders, { entity: 'orders', asOf: AS_OF, cleanse: true })
  assert.deepStrictEqual(orders, copy, 'the records given are not changed')
  const cleansed = report.cleansedRecords
  assert.equal(cleansed.length, orders.length)
  assert.equal(cleansed[0].email, 'jane.doe@example.org')
  assert.equal(cleansed[0].source.id, orders[0].source.id)
  const email = report.cleansing.filter((c) => c.field === 'email' && c.index === 0)
  assert.deepStrictEqual(email.map((c) => c.cleanser), ['trim_whitespace', 'lowercase_email'])
  assert.equal(email[0].before, orders[0].email)
  assert.equal(email.at(-1).after, 'jane.doe@example.org')
  assert.equal(email[0].record_id, orders[0].source.id)
  assert.ok(!report.violations.some((v) => v.rule === 'order.email_syntax' && v.index === 0))

  // A dataset comes back as a dataset.
  const data = checkQuality({ orders }, { asOf: AS_OF, cleanse: true }).cleansedRecords
  assert.deepStrictEqual(Object.keys(data), ['orders'])
  assert.equal(data.orders[0].email, 'jane.doe@example.org')
})

test('a record not in the unified form is listed in rejected and the others are checked', () => {
  const [good, other] = wooOrders()
  other.email = ' Jane@Example.org'
  const bad = { source: { id: 'bad-1' }, total: 'x' }
  const report = checkQuality([good, bad, other], { entity: 'orders', asOf: AS_OF, cleanse: true })
  assert.equal(report.records, 2)
  assert.equal(report.rejected.length, 1)
  const [rejected] = report.rejected
  assert.equal(rejected.entity, 'order')
  assert.equal(rejected.index, 1)
  assert.equal(rejected.record_id, 'bad-1')
  assert.equal(typeof rejected.path, 'string')
  assert.ok(rejected.message.length > 0)
  // Positions are those of the list given: the third record is index 2.
  assert.ok(report.violations.some((v) => v.index === 2 && v.record_id === other.source.id))
  assert.ok(report.violations.every((v) => v.index !== 1))
  const cleansed = report.cleansedRecords
  assert.equal(cleansed.length, 3)
  assert.deepStrictEqual(cleansed[1], bad, 'the rejected record passes through unchanged')
  assert.equal(cleansed[2].email, 'jane@example.org')
})

test('bad arguments throw with a code', () => {
  const orders = wooOrders()
  const noEntity = thrown(() => checkQuality(orders))
  assert.equal(noEntity.code, 'invalid_argument')
  assert.match(noEntity.message, /entity/)
  assert.equal(thrown(() => checkQuality(orders, { asOf: AS_OF })).code, 'invalid_argument')
  assert.equal(thrown(() => checkQuality(JSON.stringify(orders), {})).code, 'invalid_argument')
  assert.equal(thrown(() => checkQuality(orders, { entity: 'shipments' })).code, 'unknown_entity')
  const misspelt = thrown(() => checkQuality(orders, { entity: 'orders', cleanze: true }))
  assert.equal(misspelt.code, 'invalid_argument')
  assert.match(misspelt.message, /cleanze/)
  assert.equal(thrown(() => checkQuality(orders, { entity: 'orders', asOf: 'yesterday' })).code, 'invalid_argument')
  assert.equal(thrown(() => checkQuality('{not json', { entity: 'orders' })).code, 'invalid_json')
  // Only a RuleSet is taken as rules, whatever else has a native object behind it.
  const report = checkQuality(orders, { entity: 'orders' })
  for (const rules of [report, {}, 'default']) {
    const err = thrown(() => checkQuality(orders, { entity: 'orders', rules }))
    assert.equal(err.code, 'invalid_argument')
    assert.match(err.message, /RuleSet/)
  }
})

test('the hand-written report types in index.d.ts name every field of the report JSON', () => {
  const dts = readFileSync(resolve(import.meta.dirname, '../index.d.ts'), 'utf8')
  /** The property names of `export interface <name> { ... }` in index.d.ts. */
  const declared = (name) => {
    const body = dts.match(new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`))
    assert.ok(body, `interface ${name} in index.d.ts`)
    return [...body[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]).sort()
  }
  const keys = (object) => Object.keys(object).sort()
  const orders = wooOrders()
  const first = checkQuality(orders, { entity: 'orders', asOf: AS_OF })
  const report = checkQuality(orders, { entity: 'orders', asOf: AS_OF, cleanse: true, previous: first })
  const json = report.toJSON()
  const bad = checkQuality([{ source: { id: 'x' } }], { entity: 'orders' })
  const samples = {
    QualityReportJson: json,
    QualityViolation: json.violations[0],
    QualityDimensionScore: json.dimensions.validity,
    QualityGroupScore: json.stores[0],
    QualityRuleCount: json.rules[0],
    QualityRecommendation: json.recommendations[0],
    QualityExample: json.recommendations[0].examples[0],
    QualityTrend: json.trend,
    QualityTrendDimension: json.trend.dimensions[0],
    QualityTrendRule: json.trend.rules[0],
    QualityChange: json.cleansing.changes[0],
    QualityRejected: bad.rejected[0],
    QualityRuleSummary: RuleSet.default().rules[0],
  }
  for (const [name, sample] of Object.entries(samples)) {
    assert.ok(sample, `a sample of ${name}`)
    assert.deepStrictEqual(declared(name), keys(sample), name)
  }
})
