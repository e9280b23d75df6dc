import os from 'node:os'
import path from 'node:path'
import { callChannel as call, expect, test, trainDemoGears } from './fixtures'

/** Screenshots to look at (outside test-results/, which every Playwright run empties). */
const SHOTS = process.env.OVERLAY_SHOTS ?? path.join(os.tmpdir(), 'ps-overlay-shots')

test('a prediction leads to its pathway enrichment; a pathway is coloured by the predicted and the observed change with a labelled colour bar; the dataset shows its cell map', async ({ page }) => {
  await trainDemoGears(page, 'Overlay', 'GEARS one epoch')

  // Predict one gene the run trained on, and save it (the default).
  await page.getByTestId('nav-predict').click()
  const runId = Number(await page.getByTestId('predict-run-select').inputValue())
  const perturbable = await call<{ genes: { gene: string; status: string }[] }>(page, 'predict:genes', { runId })
  const gene = perturbable.genes.find((g) => g.status === 'seen-single')!.gene
  await page.getByTestId('predict-gene-input').fill(gene)
  await page.getByTestId('predict-gene-input').press('Enter')
  await page.getByTestId('predict-submit').click()
  await expect(page.getByTestId('predict-chart')).toHaveAttribute('data-condition', `${gene}+ctrl`, { timeout: 30_000 })

  await page.getByTestId('predict-result').screenshot({ path: `${SHOTS}/predict-result.png` })
  // "Pathway enrichment" on the result opens the Pathways screen with the test of this prediction.
  await page.getByTestId('predict-enrichment').click()
  const panel = page.getByTestId('enrichment-panel')
  await expect(panel).toBeVisible()
  await expect(page.getByTestId('enrichment-summary')).toContainText(`${gene}, predicted`, { timeout: 30_000 })
  const rows = page.getByTestId('enrichment-table').locator('tbody tr')
  expect(await rows.count()).toBeGreaterThan(0)
  // Found / measured (size), p and adjusted p, with the genes, as the Reactome browser lays them out.
  await expect(rows.first().locator('td').nth(1)).toHaveText(/^\d+ \/ \d+ \(\d+\)$/)
  const ps = await rows.evaluateAll((trs) => trs.map((tr) => [tr.querySelectorAll('td')[2].textContent!.trim(), tr.querySelectorAll('td')[3].textContent!.trim()]))
  for (const [p, padj] of ps) {
    expect(p).toMatch(/^(0\.\d+|1\.000|\d\.\d × 10−\d+)$/)
    expect(padj).toMatch(/^(0\.\d+|1\.000|\d\.\d × 10−\d+)$/)
  }
  await expect(page.getByTestId('overlay-kind-prediction')).toHaveAttribute('aria-checked', 'true')
  await page.screenshot({ path: `${SHOTS}/enrichment.png`, fullPage: true })

  // The same numbers as the CLI-facing channel.
  const predictionId = Number(await page.getByTestId('overlay-prediction').inputValue())
  const direct = await call<{ pathways: { name: string; found: number; measured: number; size: number }[] }>(page, 'enrichment:run', { source: { predictionId } })
  const top = direct.pathways[0]
  await expect(rows.first().locator('td').first()).toHaveText(top.name)
  await expect(rows.first().locator('td').nth(1)).toHaveText(`${top.found} / ${top.measured} (${top.size})`)

  // Opening the top pathway colours its member genes by the predicted change, with the colour bar.
  await rows.first().locator('td').first().getByRole('button').click()
  const details = page.getByTestId('pathway-details')
  await expect(page.getByTestId('overlay-summary')).toContainText(`predicted by GEARS one epoch`)
  const bar = page.getByTestId('overlay-colour-bar')
  await expect(bar).toContainText('change vs control (log-normalised expression)')
  await expect(bar).toContainText('not measured in Demo: synthetic small screen')
  await expect(page.getByTestId('overlay-ticks')).toContainText('0')
  const coloured = details.locator('.chip.coloured')
  expect(await coloured.count()).toBeGreaterThan(0)
  // A coloured gene's colour follows its sign: red-ish up, blue-ish down.
  const sample = await coloured.evaluateAll((els) => els.slice(0, 20).map((e) => ({ change: Number(e.getAttribute('data-change')), bg: (e as unknown as { style: { backgroundColor: string } }).style.backgroundColor })))
  for (const s of sample) {
    const [r, , b] = s.bg.match(/\d+/g)!.map(Number)
    if (Math.abs(s.change) > 0.01) expect(s.change > 0 ? r > b : b > r, `${JSON.stringify(s)}`).toBe(true)
  }
  await details.scrollIntoViewIfNeeded()
  await details.screenshot({ path: `${SHOTS}/overlay-predicted.png` })

  // The observed change of a measured condition.
  await page.getByTestId('overlay-kind-measured').click()
  await expect(page.getByTestId('overlay-summary')).toContainText('observed in Demo: synthetic small screen')
  await page.getByTestId('enrichment-run').click()
  await expect(page.getByTestId('enrichment-summary')).toContainText('observed')
  await details.screenshot({ path: `${SHOTS}/overlay-observed.png` })

  // The dataset's cells: PCA and UMAP coloured by condition, with a legend, control first.
  await page.getByTestId('nav-datasets').click()
  const cells = page.getByTestId('cells-card')
  await cells.scrollIntoViewIfNeeded()
  await page.getByTestId('cells-compute').click()
  await expect(page.getByTestId('cells-caption')).toBeVisible({ timeout: 180_000 })
  await expect(page.getByTestId('cells-pca')).toBeVisible()
  await expect(page.getByTestId('cells-umap')).toBeVisible()
  const map = await call<{ conditions: { condition: string; control: boolean }[]; cells: number; cached: boolean }>(page, 'cells:embedding', { datasetId: 1, cachedOnly: true })
  expect(map.cached).toBe(true)
  expect(map.conditions[0].control).toBe(true)
  await cells.scrollIntoViewIfNeeded()
  await cells.screenshot({ path: `${SHOTS}/cells.png` })
})
