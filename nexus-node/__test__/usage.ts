// Type-checked by `npm run typecheck` (tsc --noEmit): what a TypeScript user writes against
// the generated index.d.ts and the record types generated from the JSON Schema. Each
// `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.

import { readFileSync } from 'node:fs'

import {
  FakeStore,
  Magento,
  Manager,
  SyncReport,
  Shopify,
  WooCommerce,
  jsonSchema,
  mapCustomers,
  mapOrders,
  mapProducts,
  mapRefunds,
  mapTransactions,
  mapVariants,
  verifyWebhook,
  version,
  QualityReport,
  RuleSet,
  checkQuality,
  type Capabilities,
  type Checkpoint,
  type Customer,
  type FakeStats,
  type MapOptions,
  type MappingError,
  type MappingResult,
  type Money,
  type NexusRecord,
  type Order,
  type OrderStatus,
  type Page,
  type PageStream,
  type PageIterator,
  type PlatformKind,
  type Product,
  type QualityChange,
  type QualityDataset,
  type QualityDimension,
  type QualityDimensionScore,
  type QualityOptions,
  type QualityRecommendation,
  type QualityRecord,
  type QualityRejected,
  type QualityReportJson,
  type QualityRuleCount,
  type QualityRuleSummary,
  type QualitySeverity,
  type QualityTrend,
  type QualityViolation,
  type ReadEntity,
  type ReadResult,
  type Refund,
  type StoreInfo,
  type Tombstone,
  type Transaction,
  type Variant,
  type WooCommerceOptions,
  type Alert,
  type CheckResult,
  type CrossStoreCustomer,
  type EntityReport,
  type HealthReport,
  type HealthStatus,
  type ManagerOptions,
  type QuarantinedRecord,
  type RecordCounts,
  type StoreEntry,
  type StoreHealth,
  type StoreReport,
  type SyncOptions,
  type SyncProgress,
  type SyncReportJson,
  type SyncRun,
  type TransactionColumns,
  type TransactionRow,
  cohorts,
  kpis,
  purchasePropensity,
  rfm,
  rfmSegments,
  segmentCustomers,
  summaryData,
  type AnalyticsError,
  type CohortRow,
  type CustomerCluster,
  type CustomerId,
  type KpiRow,
  type Period,
  type Propensity,
  type PropensityModel,
  type PropensityOptions,
  type PropensityRow,
  type RfmRow,
  type RfmSegment,
  type SegmentCluster,
  type SegmentOptions,
  type SegmentRule,
  type Segments,
  type Silhouette,
  type SummaryRow,
  type TransactionColumnNames,
  type TransactionsInput,
  BetaGeo,
  FittedBetaGeo,
  FittedGammaGamma,
  FittedModifiedBetaGeo,
  FittedParetoNBD,
  GammaGamma,
  ModifiedBetaGeo,
  ParetoNBD,
  type BetaGeoParams,
  type ClvOptions,
  type CustomerHistory,
  type CustomerValue,
  type FitOptions,
  type GammaGammaParams,
  type ParetoNBDParams,
  AutoETS,
  ETS,
  FittedETS,
  forecastMany,
  forecastSales,
  productPerformance,
  type AutoETSOptions,
  type ETSParams,
  type Forecast,
  type ForecastInterval,
  type ForecastManyOptions,
  type GroupFailure,
  type ManyForecast,
  type ManyForecastRow,
  type ProductPerformance,
  type ProductPerformanceOptions,
  type ProductRow,
  type ProductSummaryRow,
  type SalesForecast,
  type SalesForecastOptions,
  type SalesForecastRow,
  type SeriesFailure,
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

// Connectors and fake stores: the records of a read are typed by the entity asked for.

async function connectors(): Promise<void> {
  const fake = new FakeStore('woocommerce', { orders: 50, faults: { 3: '503', 5: 'html', 7: 'slow:0.5' } })
  const url: string = fake.url
  const key: string = fake.credentials.consumerKey
  const woo = new WooCommerce({ url, consumerKey: key, consumerSecret: 'cs', pageSize: 50, timeoutMs: 5_000 })
  const shopify = new Shopify({ shop: 'my-shop', accessToken: 'shpat_x', bucket: { capacity: 400, leakPerSecond: 20 } })
  const magento = new Magento({ url: 'https://m.example', username: 'admin', password: 'pw', storeCode: 'default' })
  const info: StoreInfo = await woo.check()
  const platform: PlatformKind = info.platform
  const caps: Capabilities = shopify.capabilities()
  const entities: ReadEntity[] = caps.entities

  let checkpoint: Checkpoint | null = null
  for await (const page of woo.pages('orders', { overlapSeconds: 0 })) {
    const orders: Order[] = page.records
    const problems: MappingError[] = page.errors
    const total: number | null = page.total
    checkpoint = page.checkpoint ?? checkpoint
    void orders, problems, total
  }
  const stream: PageIterator<Customer> = magento.pages('customers', { since: checkpoint, until: '2030-01-01T00:00:00Z' })
  const first: IteratorResult<Page<Customer>, undefined> = await stream.next()
  if (!first.done) {
    const customers: Customer[] = first.value.records
    void customers
  }
  const changes: ReadResult<Product> = await woo.read('products', { since: '2024-01-01T00:00:00Z', maxPages: 3 })
  const resume: Checkpoint | null = changes.checkpoint
  const stones: Tombstone[] = await shopify.tombstones('orders', '2024-01-01T00:00:00Z')
  const connector: WooCommerce | Shopify | Magento = fake.connector({ pageSize: 10 })
  const refunds: Refund[] = (await connector.read('refunds')).records
  const changed: string[] = fake.mutate(3, 2)
  const stats: FakeStats = fake.stats()
  fake.close()

  // @ts-expect-error: the records of a read of orders are orders
  const notCustomers: Customer[] = (await woo.read('orders')).records

  // @ts-expect-error: not an entity a connector reads
  woo.pages('transactions')

  // @ts-expect-error: a misspelt option
  const misspelt: WooCommerceOptions = { url, consumerKey: key, consumerSecret: 'cs', pagesize: 10 }

  // @ts-expect-error: the consumer secret is required
  new WooCommerce({ url, consumerKey: key })

  // @ts-expect-error: a checkpoint is an object or an ISO string, not a number
  woo.read('orders', { since: 1_700_000_000 })

  // @ts-expect-error: not a fault
  new FakeStore('shopify', { faults: { 1: 'explode' } })

  void platform, entities, resume, stones, refunds, changed, stats, notCustomers, misspelt
}
void connectors

// The native stream behind pages() is async-iterable as it is declared.
async function stream(s: PageStream): Promise<number> {
  let n = 0
  for await (const page of s) n += page.records.length
  return n
}
void stream

// Data quality: checkQuality takes a list with its entity, or a dataset without one; the
// report's getters are typed as its JSON form.

function quality(orders: Order[], customers: Customer[]): void {
  const rules: RuleSet = RuleSet.fromFile('rules.yaml')
  const summaries: QualityRuleSummary[] = [...RuleSet.default().rules, ...RuleSet.fromYaml('').rules, ...RuleSet.fromJson('{}').rules]
  const enabled: boolean = summaries[0].enabled
  // `satisfies` keeps the entity's literal type, which a list of records needs.
  const options = { entity: 'orders', rules, cleanse: true, asOf: '2024-06-01T00:00:00Z' } satisfies QualityOptions
  const report: QualityReport = checkQuality(orders, options)
  const score: number = report.score
  const grade: string = report.grade
  const records: number = report.records
  const at: string = report.generatedAt
  const validity: number | null = report.dimensions.validity
  const details: QualityDimensionScore = report.dimensionDetails.accuracy
  const violations: QualityViolation[] = report.violations
  const v: QualityViolation = violations[0]
  const where: string = `${v.record_id} ${v.path} ${v.message} ${v.value ?? ''} ${v.index}`
  const severity: QualitySeverity = v.severity
  const dimension: QualityDimension = v.dimension
  const counts: QualityRuleCount[] = report.rules
  const failed: number = counts[0].records_failed
  const changes: QualityChange[] = report.cleansing
  const after: string | null = changes[0].after
  const top: QualityRecommendation | undefined = report.recommendations[0]
  const rejected: QualityRejected[] = report.rejected
  const storeGrade: string = report.stores[0].grade
  const entity: string | null = report.entities[0].entity
  const cleansed: QualityRecord[] | QualityDataset | null = report.cleansedRecords
  const html: string = report.toHtml()
  const text: string = report.toJson()
  const json: QualityReportJson = report.toJSON()
  const changeCount: number = json.cleansing.changes.length
  const again: QualityReport = QualityReport.fromJson(JSON.stringify(report))

  const dataset: QualityReport = checkQuality({ orders, customers }, { asOf: '2024-06-01T00:00:00Z', previous: report })
  const trend: QualityTrend | null = dataset.trend
  const direction: 'improved' | 'declined' | 'unchanged' | undefined = trend?.direction
  const fromText: QualityReport = checkQuality(Buffer.from('[]'), { entity: 'customers', previous: text })
  const datasetText: QualityReport = checkQuality('{"orders": []}')

  // @ts-expect-error: a list of records needs its entity
  checkQuality(orders)

  // @ts-expect-error: a list of records needs its entity
  checkQuality(orders, { cleanse: true })

  // @ts-expect-error: a dataset names its entities by its keys
  checkQuality({ orders }, { entity: 'orders' })

  // @ts-expect-error: a misspelt option
  checkQuality(orders, { entity: 'orders', cleanze: true })

  // @ts-expect-error: not an entity the quality engine checks
  checkQuality(orders, { entity: 'transactions' })

  // @ts-expect-error: rules are a RuleSet, not a file name
  checkQuality(orders, { entity: 'orders', rules: 'rules.yaml' })

  // @ts-expect-error: the previous report is a QualityReport or its JSON text
  checkQuality(orders, { entity: 'orders', previous: json })

  // @ts-expect-error: the violations are the JSON's, with snake_case keys
  v.recordId

  // @ts-expect-error: not a dimension
  report.dimensions.freshness

  void enabled, score, grade, records, at, validity, details, where, severity, dimension, failed, after, top,
    rejected, storeGrade, entity, cleansed, html, json, changeCount, again, direction, fromText, datasetText
}
void quality

// The store registry: a TOML file of stores synced into one database, with progress,
// cancellation, health and alerts; reports in the core's JSON form (snake_case keys).

async function registry(): Promise<void> {
  const alerts: Alert[] = []
  const options: ManagerOptions = {
    database: 'nexus.db',
    secrets: { 'shopify/us': 'shpat_x' },
    onAlert: (alert) => { alerts.push(alert) },
  }
  const manager: Manager = await Manager.fromToml('nexus.toml', options)
  const stores: StoreEntry[] = manager.stores()
  const names: string[] = stores.map((s) => s.name)
  const checks: CheckResult[] = await manager.check({ stores: names })
  const currency: string | null | undefined = checks[0].info?.currency

  const controller = new AbortController()
  const sync: SyncOptions = {
    stores: ['shop-eu'],
    signal: controller.signal,
    onProgress: (event: SyncProgress) => {
      const line: string = `${event.store} ${event.entity} ${event.fetched}/${event.total ?? '?'} ${event.done}`
      const eta: number | null = event.eta_seconds
      void line, eta
    },
  }
  const report: SyncReport = await manager.sync(sync)
  const ok: boolean = report.ok && !report.cancelled
  const text: string = report.toText()
  const store: StoreReport | null = report.store('shop-eu')
  const entity: EntityReport | undefined = report.stores[0].entities[0]
  const written: number = entity.written + entity.quarantined
  const code: string | undefined = store?.error?.code
  const json: SyncReportJson = report.toJSON()
  await manager.sync({ signal: AbortSignal.timeout(60_000) })
  await manager.sync()

  const health: HealthReport = await manager.health()
  const status: HealthStatus = health.stores[0].status
  const storeHealth: StoreHealth = health.stores[0]
  const fresh: number | null = storeHealth.freshness_seconds
  const raised: Alert[] = await manager.alerts()
  const latest: StoreReport[] = await manager.report()
  const runs: SyncRun[] = await manager.runs({ store: 'shop-eu', limit: 5 })
  const quality: QualityReport = await manager.qualityReport('shop-eu')
  const html: string = (await manager.qualityReport()).toHtml()
  const across: CrossStoreCustomer[] = await manager.customersAcross()
  const revenue: string | undefined = across[0].revenue.EUR

  const orders: Order[] = await manager.orders({ stores: ['shop-eu'], platform: 'woocommerce' })
  const customers: Customer[] = await manager.customers()
  const products: Product[] = await manager.products()
  const refunds: Refund[] = await manager.refunds()
  const quarantined: QuarantinedRecord[] = await manager.quarantined()
  const counts: RecordCounts = await manager.counts()
  const rows: TransactionRow[] = await manager.transactions()
  const amount: string = rows[0].amount
  const columns: TransactionColumns = await manager.transactions({ columns: true, stores: ['shop-eu'] })
  const dates: string[] = columns.date
  const amounts: string[] = columns.amount

  // @ts-expect-error: the rows form is not columns
  const notColumns: TransactionColumns = await manager.transactions()

  // @ts-expect-error: a misspelt option
  await manager.sync({ onProgres: () => {} })

  // @ts-expect-error: secrets are a map of names to values, not a callback
  await Manager.fromToml('nexus.toml', { secrets: (name: string) => name })

  // @ts-expect-error: the reports' keys are the core's snake_case ones
  void report.stores[0].startedAt

  // @ts-expect-error: not a status
  const notStatus: HealthStatus = 'red'

  // @ts-expect-error: not a platform
  await manager.orders({ platform: 'bigcommerce' })

  void currency, ok, text, written, code, json, status, fresh, raised, latest, runs, quality, html, revenue,
    orders, customers, products, refunds, quarantined, counts, amount, dates, amounts, notColumns, notStatus
}
void registry

// Customer analytics: a table of rows or columns in, Promises of typed rows out.
async function analytics(manager: Manager): Promise<void> {
  const rows = [{ customer_id: 1, order_id: 'a', date: new Date(), amount: 10 }]
  const scores: RfmRow[] = await rfm(rows, { asOf: '2024-06-01', segments: 'rf_grid' })
  const cell: string = scores[0].rfmCell
  const who: CustomerId = scores[0].customerId
  const rules: SegmentRule[] = [{ name: 'Big spenders', m: [4, 5] }, { name: 'Recent', r: 5, f: [1, 5] }]
  const segments: RfmSegment[] = await rfmSegments(rows, { segments: rules })
  const share: number = segments[0].revenueShare

  // The store's transactions go in as they come, rows or columns.
  const stored: TransactionRow[] = await manager.transactions()
  const byStore: KpiRow[] = await kpis(stored, { by: 'store', refunded: 'refunded', period: 'week' })
  const group: string | undefined = byStore[0].group
  const aov: number | null = byStore[0].aov
  const columns: TransactionColumns = await manager.transactions({ columns: true })
  const input: TransactionsInput = columns
  const summary: SummaryRow[] = await summaryData(input, { calibrationEnd: new Date('2024-01-01'), unit: 'weeks' })
  const T: number = summary[0].T
  const holdout: number | undefined = summary[0].frequencyHoldout
  const typed: TransactionsInput = { customer_id: new Int32Array(3), date: [Date.now(), '2024-01-02', null], amount: new Float64Array(3) }
  const period: Period = 'quarter'
  const cohortRows: CohortRow[] = await cohorts(typed, { period })
  const names: TransactionColumnNames = { customer: 'customerId', order: null }
  await rfm(rows, names)

  try {
    await rfm(rows)
  } catch (e) {
    const err = e as AnalyticsError
    const where: string = `${err.code} ${err.column ?? ''} ${err.row ?? ''}`
    void where
  }

  // @ts-expect-error: a misspelt option
  await rfm(rows, { asof: '2024-06-01' })

  // @ts-expect-error: summaryData reads no order column
  await summaryData(rows, { order: 'order_id' })

  // @ts-expect-error: not a period
  await kpis(rows, { period: 'fortnight' })

  // @ts-expect-error: not a segment map
  await rfm(rows, { segments: 'kmeans' })

  // @ts-expect-error: dates in the results are YYYY-MM-DD text, not Date objects
  const asDate: Date = cohortRows[0].cohort

  // @ts-expect-error: results are Promises
  const notAwaited: RfmRow[] = rfm(rows)

  void cell, who, share, group, aov, T, holdout, asDate, notAwaited
}
void analytics

// K-means segments and purchase propensity: Promises of one object holding rows.
async function segmentsAndPropensity(rows: TransactionsInput, clv: Float64Array): Promise<void> {
  const options: SegmentOptions = { kRange: [2, 6], seed: 7, asOf: new Date('2024-06-01'), extra: { clv, orders: [1, 2] } }
  const s: Segments = await segmentCustomers(rows, { customer: 'customerId', order: null, ...options })
  const k: number = s.k
  const sil: Silhouette = s.silhouettes[0]
  const assigned: CustomerCluster = s.customers[0]
  const who: CustomerId = assigned.customerId
  const top: SegmentCluster = s.clusters[0]
  const extraMean: number = top.extra['clv']
  const segment: string = top.rfmSegment
  await segmentCustomers(rows, { k: 4 })

  const model: PropensityModel = 'random_forest'
  const popts: PropensityOptions = { calibrationEnd: '2024-03-31', horizonDays: 90, trainingHorizonDays: 60, model, seed: 1, trees: 50 }
  const p: Propensity = await purchasePropensity(rows, popts)
  const auc: number | null = p.auc
  const base: number | null = p.baselineAuc
  const row: PropensityRow = p.customers[0]
  const probability: number = row.probability
  const bought: boolean = row.purchased
  const cutoff: string = p.trainingCutoff
  const features: string[] = p.features
  await purchasePropensity(rows, { calibrationEnd: Date.now(), model: 'logistic' })

  // @ts-expect-error: kRange is a pair
  await segmentCustomers(rows, { kRange: 3 })

  // @ts-expect-error: extra features are numbers
  await segmentCustomers(rows, { extra: { clv: ['1'] } })

  // @ts-expect-error: not a propensity model
  await purchasePropensity(rows, { model: 'svm' })

  // @ts-expect-error: a misspelt option
  await purchasePropensity(rows, { horizon: 90 })

  // @ts-expect-error: results are Promises
  const notAwaited: Segments = segmentCustomers(rows)

  void k, sil, who, extraMean, segment, auc, base, probability, bought, cutoff, features, notAwaited
}
void segmentsAndPropensity

// Lifetime-value models: fit (a Promise) gives a fitted model; its predictions for each
// customer are Promises of Float64Arrays, those for a new customer immediate.
async function lifetimeValue(summary: SummaryRow[]): Promise<void> {
  const history: CustomerHistory = { frequency: [2, 0], recency: new Float64Array([30.4, 0]), T: [38.9, 38.9] }
  const options: FitOptions = { penalizer: 0.001, weights: [1, 3] }
  const bg: FittedBetaGeo = await BetaGeo.fit(history, options)
  const params: BetaGeoParams = bg.params
  const r: number = params.r
  const ll: number | null = bg.logLikelihood
  const se: BetaGeoParams | null = bg.standardErrors
  const n: number = bg.nCustomers
  const next: Float64Array = await bg.expectedPurchases(10, history)
  const alive: Float64Array = await bg.probabilityAlive(summary)
  const newOne: number = bg.expectedPurchasesNew(39)
  const newMany: Float64Array = bg.expectedPurchasesNew([1, 2, 3])
  const p0: number = bg.probabilityOfPurchases(0, 39)
  const pmf: Float64Array = bg.probabilityOfPurchases([0, 1, 2], 39)
  const mbg: FittedModifiedBetaGeo = await ModifiedBetaGeo.fit(summary)
  const pareto: FittedParetoNBD = await ParetoNBD.fit(summary, { penalizer: 0 })
  const pp: ParetoNBDParams = pareto.params
  const known = FittedBetaGeo.fromParams({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })

  const spend: FittedGammaGamma = await GammaGamma.fit({ frequency: [2, 1], monetaryValue: [22.35, 11.77] })
  const gp: GammaGammaParams = spend.params
  const mean: number = spend.populationMean
  const values: Float64Array = await spend.expectedAverageValue(summary)
  const clvOptions: ClvOptions = { months: 12, discountRate: 0.01, unit: 'weeks' }
  const data: CustomerValue = summary
  const clv: Float64Array = await spend.clv(pareto, data, clvOptions)
  await spend.clv(mbg, summary)

  // @ts-expect-error: a fit is a Promise
  const notAwaited: FittedBetaGeo = BetaGeo.fit(history)

  // @ts-expect-error: a misspelt option
  await BetaGeo.fit(history, { penaliser: 0.1 })

  // @ts-expect-error: the history needs T
  await BetaGeo.fit({ frequency: [1], recency: [1] })

  // @ts-expect-error: Pareto/NBD parameters are not BG/NBD ones
  FittedParetoNBD.fromParams({ r: 1, alpha: 1, a: 1, b: 1 })

  // @ts-expect-error: the spend model is not a purchase model
  await spend.clv(spend, summary)

  // @ts-expect-error: clv needs each customer's monetary value
  await spend.clv(bg, history)

  void r, ll, se, n, next, alive, newOne, newMany, p0, pmf, pp, known, gp, mean, values, clv, notAwaited
}
void lifetimeValue

// Forecasting: fits are Promises of a FittedETS, whose forecasts are immediate; the table
// functions resolve with rows and the series or groups that failed.
async function forecasting(y: number[], tx: TransactionsInput): Promise<void> {
  const options: AutoETSOptions = { seasonLength: 12, models: ['MAM', 'ETS(A,Ad,N)'], damped: false, ic: 'aicc' }
  const fit: FittedETS = await AutoETS.fit(y, options)
  const typed: FittedETS = await AutoETS.fit(new Float64Array(y))
  const fixed: FittedETS = await ETS.fit(y, { model: 'MAM', seasonLength: 12 })
  const model: string = fit.model
  const params: ETSParams = fit.params
  const alpha: number = params.alpha
  const phi: number | undefined = params.phi
  const aicc: number = fit.aicc
  const fitted: number[] = fit.fitted
  const residuals: number[] = fit.residuals
  const trend: number | null = fixed.initialTrend
  const scores: Record<string, number> = fit.candidates
  const f: Forecast = fit.predict(12, { level: [80, 95] })
  const mean: number[] = f.mean
  const interval: ForecastInterval = f.intervals[0]
  const upper: number[] = interval.upper

  const manyOptions: ForecastManyOptions = { id: 'store', ds: 'month', y: 'sales', h: 6, seasonLength: 12, level: [90] }
  const many: ManyForecast = await forecastMany(tx, manyOptions)
  const row: ManyForecastRow = many.forecasts[0]
  const point: number = row.AutoETS
  const hi: number = row['AutoETS-hi-90']
  const id: string | number | null = row.unique_id
  const failure: SeriesFailure = many.failed[0]
  const failedId: string = failure.id

  const salesOptions: SalesForecastOptions = { freq: 'month', h: 12, level: [80, 95], measure: 'revenue', seasonLength: 12, start: '2024-01-01', end: new Date() }
  const sales: SalesForecast = await forecastSales(tx, { ...salesOptions, by: 'store', order: null, items: 'items' })
  const salesRow: SalesForecastRow = sales.forecasts[0]
  const period: string = salesRow.period
  const lo: number = salesRow['lo-80']
  const group: string | undefined = salesRow.group
  const groupFailure: GroupFailure = sales.failed[0]
  const failedGroup: string | null = groupFailure.group

  const productOptions: ProductPerformanceOptions = { windowDays: 90, h: 4, period: 'week', deadDays: 60, top: 10, level: [80], abc: [0.8, 0.95], asOf: '2024-06-30' }
  const p: ProductPerformance = await productPerformance(tx, { ...productOptions, product: 'sku', order: null, name: 'title' })
  const product: ProductRow = p.products[0]
  const abc: 'A' | 'B' | 'C' = product.abc
  const total: number | null = product.forecastTotal
  const entry: ProductSummaryRow = p.summary[0]
  const window: [string, string] = p.window

  // @ts-expect-error: a fit is a Promise
  const notAwaited: FittedETS = AutoETS.fit(y)

  // @ts-expect-error: ETS needs a model
  await ETS.fit(y, { seasonLength: 12 })

  // @ts-expect-error: a misspelt option
  await AutoETS.fit(y, { season_length: 12 })

  // @ts-expect-error: an unknown criterion
  await AutoETS.fit(y, { ic: 'hqic' })

  // @ts-expect-error: forecastMany needs the horizon
  await forecastMany(tx, { id: 'store' })

  // @ts-expect-error: forecastSales takes `freq`, not `period`
  await forecastSales(tx, { period: 'month' })

  // @ts-expect-error: productPerformance reads no customer column
  await productPerformance(tx, { customer: 'customer_id' })

  // @ts-expect-error: predict is immediate
  const later: Promise<Forecast> = fit.predict(3)

  void typed, model, alpha, phi, aicc, fitted, residuals, trend, scores, mean, upper, point, hi, id, failedId
  void period, lo, group, failedGroup, abc, total, entry, window, notAwaited, later
}
void forecasting
