import fs from 'node:fs'
import { parseCsv } from '../src-shared/exports/csv'
import { pythonWith } from '../src-main/test-support/python'
import { readXlsx } from '../src-main/test-support/xlsx'
import { callChannel as call, csvWithProvenance, expect, test, trainDemoGears } from './fixtures'

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

test('predict a combination with a freshly trained GEARS run, export its table and figure, reopen it from the history; an unknown gene is named', async ({ page }) => {
  await trainDemoGears(page, 'Predict', 'GEARS one epoch')

  await page.getByTestId('nav-predict').click()
  const runSelect = page.getByTestId('predict-run-select')
  await expect(runSelect.locator('option:checked')).toContainText('GEARS one epoch')
  await expect(runSelect.locator('option:checked')).toContainText('Demo: synthetic small screen')
  await expect(page.getByTestId('predict-hint')).toContainText('genes can be perturbed')

  // A combination of the run's test set, with both genes perturbable by the run.
  const runId = Number(await runSelect.inputValue())
  const perturbable = await call<{ genes: { gene: string }[] }>(page, 'predict:genes', { runId })
  const known = new Set(perturbable.genes.map((g) => g.gene))
  const run = await call<{ splitDetail: { test: string[] } }>(page, 'run:get', { id: runId })
  const combo = run.splitDetail.test.map((c) => c.split('+')).find((genes) => genes.length === 2 && !genes.includes('ctrl') && genes.every((g) => known.has(g)))
  expect(combo, 'a test combination of perturbable genes').toBeTruthy()
  const [a, b] = combo!

  // One gene through the autocomplete, one typed.
  const input = page.getByTestId('predict-gene-input')
  // The full symbol: with a knowledge base ~20k genes are perturbable, so a prefix matches many.
  await input.fill(a)
  await page.getByTestId(`predict-gene-option-${a}`).click()
  await input.fill(b)
  await input.press('Enter')
  await expect(page.getByTestId(`predict-chip-${a}`).getByTestId('predict-chip-status')).toHaveText(/seen alone|seen in a combination|unseen, in the knowledge graph/)
  // Its Reactome pathway count, or why there is none (the demo project has no knowledge release built).
  await expect(page.getByTestId(`predict-chip-${b}`)).toContainText(/\d+ Reactome pathways?|pathways: no knowledge release/)

  await page.getByTestId('predict-submit').click()
  const chart = page.getByTestId('predict-chart')
  await expect(chart).toHaveAttribute('data-condition', [a, b].sort().join('+'), { timeout: 30_000 })
  // Measured, so GEARS' view of its top DE genes: observed cells as boxes, the prediction as red dots.
  await expect(chart).toHaveAttribute('data-view', 'de')
  // A test condition: the screen's prediction scores what the run stored at its test evaluation.
  await expect(page.getByTestId('predict-measured')).toContainText('test set')
  await expect(page.getByTestId('predict-mse-de')).toHaveText(/^\d\.\d{4}$/)
  // Where the prediction comes from, and the additive expectation of the pair beside it.
  await expect(page.getByTestId('predict-origin')).toHaveText(/^(Model|Knowledge prior): /)
  await expect(page.getByTestId('predict-sort-additive')).toContainText('Additive (sum of singles)')
  expect(await page.getByTestId('predict-stored-mse-de').textContent()).toBe(await page.getByTestId('predict-mse-de').textContent())
  await expect(chart.locator('canvas')).toBeVisible()
  const table = page.getByTestId('predict-table')
  await expect(table.locator('tbody tr').first()).toBeVisible()
  const genesTotal = Number((await page.getByTestId('predict-table-count').textContent())!.match(/of ([\d,]+) genes/)![1].replace(/,/g, ''))
  expect(genesTotal).toBeGreaterThan(20)

  // The table as CSV that Excel and Prism open as it is: the column header first, one row per gene;
  // its provenance comes as a second download beside it.
  const [csvDownload, provenanceDownload] = await csvWithProvenance(page, () => page.getByTestId('export-csv').click())
  expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/)
  expect(provenanceDownload.suggestedFilename()).toBe(csvDownload.suggestedFilename().replace(/\.csv$/, '.provenance.txt'))
  await expect(page.getByTestId('export-csv-message')).toContainText(`and its provenance ${provenanceDownload.suggestedFilename()}`)
  await page.locator('.table-card > .head').screenshot({ path: test.info().outputPath('predict-table-csv-exported.png') })
  const csvText = fs.readFileSync((await csvDownload.path())!, 'utf8')
  expect(csvText.startsWith('condition,gene,')).toBe(true)
  const csv = parseCsv(csvText)
  const provenance = fs.readFileSync((await provenanceDownload.path())!, 'utf8').split('\n')
  expect(provenance[0]).toMatch(/^Perturb Studio /)
  expect(provenance).toContain(`file: ${csvDownload.suggestedFilename()} (one header row, then ${genesTotal.toLocaleString('en')} rows × ${csv.header.length} columns)`)
  expect(provenance.some((l) => l.startsWith('dataset: Demo: synthetic small screen'))).toBe(true)
  expect(csv.header.slice(0, 5)).toEqual(['condition', 'gene', 'control_mean', 'predicted_mean', 'predicted_change'])
  expect(csv.rows).toHaveLength(genesTotal)
  expect(csv.rows.every((r) => r.length === csv.header.length)).toBe(true)
  expect(Number.isFinite(Number(csv.rows[0][4]))).toBe(true)

  // The same table as an Excel workbook: one download, the table and a Provenance sheet.
  const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()])
  expect(xlsxDownload.suggestedFilename()).toBe(csvDownload.suggestedFilename().replace(/\.csv$/, '.xlsx'))
  // Saved under its own name: openpyxl goes by the extension (the download's temp path has none).
  const xlsxPath = test.info().outputPath(xlsxDownload.suggestedFilename())
  await xlsxDownload.saveAs(xlsxPath)
  expect(fs.readFileSync(xlsxPath).subarray(0, 4).toString('latin1')).toBe('PK\x03\x04')
  await expect(page.getByTestId('export-csv-message')).toHaveText(`Downloaded ${xlsxDownload.suggestedFilename()}`)
  await page.locator('.table-card > .head').screenshot({ path: test.info().outputPath('predict-table-exports.png') })
  const openpyxl = pythonWith(['openpyxl'])
  if (openpyxl.python) {
    const book = readXlsx(openpyxl.python, xlsxPath)
    expect(book.order).toEqual(['Prediction', 'Provenance'])
    expect(book.sheets.Prediction.rows[0]).toEqual(csv.header)
    expect(book.sheets.Prediction.rows.length - 1).toBe(csv.rows.length)
    const change = csv.header.indexOf('predicted_change')
    // The same genes in the same order, each change the CSV's number exactly, stored as a number.
    expect(book.sheets.Prediction.rows.slice(1).map((r) => [r[1], r[change]])).toEqual(csv.rows.map((r) => [r[1], Number(r[change])]))
    expect(book.sheets.Prediction.types[1][change]).toBe('float')
    expect(book.sheets.Provenance.rows.find((r) => r[0] === 'app')?.[1]).toMatch(/^Perturb Studio /)
  } else console.log(`skipping the openpyxl read of the downloaded .xlsx: ${openpyxl.missing}`)

  // The figure as PNG: a real image, not a sliver.
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()])
  expect(pngDownload.suggestedFilename()).toMatch(/\.png$/)
  const png = fs.readFileSync((await pngDownload.path())!)
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(png.length).toBeGreaterThan(20_000)
  const size = pngSize(png)
  expect(size.width).toBeGreaterThanOrEqual(800)
  expect(size.height).toBeGreaterThanOrEqual(400)

  // The prediction is kept with the run: after a reload it reopens from the history, not recomputed.
  await page.reload()
  await page.getByTestId('nav-predict').click()
  const history = page.getByTestId('prediction-history')
  await expect(history.locator('tbody tr')).toHaveCount(1)
  await history.getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('predict-chart')).toHaveAttribute('data-condition', [a, b].sort().join('+'))
  await expect(page.getByTestId('predict-result')).toContainText('Opened from the history')

  // An unknown gene: flagged on its chip, and the core's message names it.
  for (const g of [a, b]) await page.getByTestId(`predict-chip-${g}`).getByRole('button', { name: `Remove ${g}` }).click()
  await input.fill('NOTAGENE1')
  await expect(page.getByTestId('predict-gene-options')).toContainText('No perturbable gene matches')
  await input.press('Enter')
  await expect(page.getByTestId('predict-chip-NOTAGENE1')).toContainText('not perturbable')
  await page.getByTestId('predict-submit').click()
  await expect(page.getByTestId('predict-error')).toContainText('NOTAGENE1')
  await expect(page.getByTestId('predict-chart')).toHaveCount(0)
})
