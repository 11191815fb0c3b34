// Opens an HTML quality report in headless Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM) and fails when the page logs a console error or warning, throws, or tries
// to fetch anything (the report must be self-contained). It also checks that the grade
// and the dimension chart rendered, and writes a screenshot beside the report.
//
// Usage: node scripts/html-check/check.mjs report.html [screenshot.png]
import { chromium } from 'playwright-core'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const file = process.argv[2]
if (!file) {
  console.error('usage: node check.mjs report.html [screenshot.png]')
  process.exit(2)
}
const shot = process.argv[3] ?? file.replace(/\.html?$/, '') + '.png'
const url = pathToFileURL(path.resolve(file)).href

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const problems = []
try {
  const page = await browser.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request for ${r.url()}: the report must not load anything`)
  })
  const response = await page.goto(url, { waitUntil: 'load' })
  if (!response || !response.ok()) problems.push(`the page did not load: ${response?.status()}`)
  const grade = (await page.textContent('header .grade'))?.trim()
  if (!grade) problems.push('no grade in the header')
  const bars = await page.locator('svg.chart rect').count()
  if (bars < 6) problems.push(`the dimension chart has ${bars} bars`)
  const title = await page.title()
  await page.screenshot({ path: shot, fullPage: true })
  if (problems.length === 0) console.log(`ok: ${file} opened in Chromium (${title}), grade ${grade}, screenshot ${shot}`)
} finally {
  await browser.close()
}
if (problems.length > 0) {
  for (const p of problems) console.error(p)
  process.exit(1)
}
