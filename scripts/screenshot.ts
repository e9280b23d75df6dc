/**
 * Developer aid: screenshots a screen of the running app in Chromium so it can be looked at.
 * Usage: npx tsx scripts/screenshot.ts <url-with-token> <out.png> [hash] [setup-js]
 */
import { chromium } from '@playwright/test'

const [url, out, hash = '', setup = ''] = process.argv.slice(2)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const page = await browser.newPage({ viewport: { width: 1360, height: 860 } })
await page.goto(url + hash)
await page.waitForTimeout(800)
if (setup) {
  await page.evaluate(setup)
  await page.waitForTimeout(800)
}
await page.screenshot({ path: out, fullPage: true })
await browser.close()
