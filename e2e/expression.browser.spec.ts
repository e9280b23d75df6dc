import fs from 'node:fs'
import path from 'node:path'
import { parseCsv } from '../src-shared/exports/csv'
import { callChannel as call, expect, SHARED, test, trainDemoGears } from './fixtures'

const PAPALEXI = path.join(SHARED, 'datasets', 'papalexi2021')
/** Screenshots for a person to look at (not compared): $E2E_SCREENSHOTS, else test-results/expression/. */
const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(import.meta.dirname, '..', 'test-results', 'expression')

test('differential expression of the Papalexi screen: volcano, DE table with adjusted p, STAT1 knockdown per guide, clustered heatmap', async ({ page }) => {
  fs.mkdirSync(SHOTS, { recursive: true })
  await page.getByTestId('project-name-input').fill('Papalexi DE')
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('import-open').click()
  await page.getByTestId('import-file-input').setInputFiles(['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz', 'cells.csv'].map((f) => path.join(PAPALEXI, f)))
  await expect(page.getByTestId('import-preview')).toContainText('20,729')
  await page.getByTestId('import-condition-column').selectOption('target')
  await page.getByTestId('import-control-label').selectOption(['non-targeting'])
  await page.getByTestId('import-submit').click()
  await expect(page.getByTestId('dataset-summary')).toBeVisible({ timeout: 90_000 })

  await page.getByTestId('de-condition').selectOption('STAT1+ctrl')
  const section = page.getByTestId('de-section')
  // The volcano: STAT1 (the target) labelled, genes past both cuts counted.
  const volcano = page.getByTestId('volcano')
  await expect(volcano).toHaveAttribute('data-labelled', /(^|,)STAT1(,|$)/)
  expect(Number(await volcano.getAttribute('data-down'))).toBeGreaterThan(0)
  await expect(volcano.locator('canvas').first()).toBeVisible()
  await expect(page.getByTestId('de-significant')).toHaveText(/^[1-9]\d*$/)

  // The knockdown: STAT1 far below control overall; per guide, STAT1g4 flagged as weak.
  const knockdown = page.getByTestId('target-knockdown')
  await expect(knockdown).toContainText('STAT1 (the targeted gene)')
  const percent = Number((await page.getByTestId('knockdown-percent').textContent())!.replace(/[^\d.]/g, ''))
  expect(percent).toBeLessThan(30)
  const guides = page.getByTestId('guide-knockdown').locator('tbody tr')
  await expect(guides).toHaveCount(4)
  await expect(guides.filter({ hasText: 'STAT1g4' })).toContainText('weak knockdown')
  await expect(guides.filter({ hasText: 'STAT1g2' })).not.toContainText('weak knockdown')

  // The DE table: every gene, by adjusted p; STAT1 first, with its adjusted p.
  const table = page.getByTestId('de-table')
  await expect(table.locator('thead')).toContainText('Adjusted p')
  const first = table.locator('tbody tr').first()
  await expect(first.locator('td').first()).toHaveText('STAT1')
  await expect(first.locator('td').nth(2)).toHaveText(/e-\d+$/) // adjusted p
  await page.getByTestId('de-table-filter').fill('CD274')
  await expect(table.locator('tbody tr')).toHaveCount(1)
  await page.getByTestId('de-table-filter').fill('')
  await section.screenshot({ path: path.join(SHOTS, 'de-stat1.png') })

  // The table as CSV: every gene with p and adjusted p, and its provenance beside it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('de-export-csv').click()])
  expect(download.suggestedFilename()).toMatch(/STAT1.*\.csv$/)
  const csv = parseCsv(fs.readFileSync((await download.path())!, 'utf8'))
  expect(csv.header).toContain('p_adjusted')
  expect(csv.rows).toHaveLength(299)
  expect(csv.rows[0][0]).toBe('STAT1')

  // The heatmap of many conditions at once: the interferon-γ pathway knockouts side by side.
  const heatmap = page.getByTestId('de-heatmap')
  await expect(heatmap).toHaveAttribute('data-conditions', '25')
  await expect(heatmap.locator('canvas').first()).toBeVisible()
  const datasetId = (await call<{ datasetId: number }[]>(page, 'dataset:list', {}))[0].datasetId
  const h = await call<{ conditions: string[] }>(page, 'dataset:de-heatmap', { id: datasetId })
  const rows = ['IFNGR1+ctrl', 'IFNGR2+ctrl', 'JAK2+ctrl', 'STAT1+ctrl'].map((c) => h.conditions.indexOf(c))
  expect(Math.max(...rows) - Math.min(...rows)).toBe(3)
  await heatmap.scrollIntoViewIfNeeded()
  await heatmap.screenshot({ path: path.join(SHOTS, 'heatmap.png') })
  await page.screenshot({ path: path.join(SHOTS, 'datasets-page.png'), fullPage: true })
})

test('Predict shows predicted vs observed for a measured combination, with the sum of singles beside the model', async ({ page }) => {
  fs.mkdirSync(SHOTS, { recursive: true })
  await trainDemoGears(page, 'Scatter', 'GEARS one epoch')
  await page.getByTestId('nav-predict').click()
  const runId = Number(await page.getByTestId('predict-run-select').inputValue())
  const run = await call<{ splitDetail: { test: string[] } }>(page, 'run:get', { id: runId })
  const combo = run.splitDetail.test.find((c) => c.split('+').length === 2 && !c.includes('ctrl'))
  expect(combo, 'a measured combination in the test set').toBeTruthy()
  const input = page.getByTestId('predict-gene-input')
  for (const g of combo!.split('+')) {
    await input.fill(g)
    await input.press('Enter')
  }
  await page.getByTestId('predict-submit').click()
  await expect(page.getByTestId('predict-chart')).toHaveAttribute('data-condition', combo!, { timeout: 30_000 })

  const scatter = page.getByTestId('predict-scatter')
  await expect(scatter.locator('canvas').first()).toBeVisible()
  expect(Number(await scatter.getAttribute('data-r'))).toBeGreaterThan(-1)
  await expect(scatter).toContainText('Sum of singles')
  await expect(page.getByTestId('predict-scatter-additive')).toHaveText(/^r = -?\d\.\d\d$/)
  // The table keeps the additive expectation as a column of its own.
  await expect(page.getByTestId('predict-sort-additive')).toContainText(/sum of singles/i)
  await scatter.scrollIntoViewIfNeeded()
  await page.getByTestId('predict-result').screenshot({ path: path.join(SHOTS, 'predict-result.png') })
})
