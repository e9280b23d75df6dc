import fs from 'node:fs'
import { GI_TYPES } from '../src-shared/contract/channels/design'
import { parseCsv } from '../src-shared/exports/csv'
import { callChannel as call, csvWithProvenance, expect, test, trainDemoGears } from './fixtures'

test('map the pairs of a few genes with a freshly trained GEARS run, shortlist one and export the guide plan; duplicates and unknown genes are named', async ({ page }) => {
  await trainDemoGears(page, 'Design', 'GEARS one epoch')

  await page.getByTestId('nav-design').click()
  const runSelect = page.getByTestId('design-run-select')
  await expect(runSelect.locator('option:checked')).toContainText('GEARS one epoch')
  await expect(page.getByTestId('design-estimate')).toContainText('genes can be perturbed')

  // Four genes the run saw perturbed alone: every one of their 6 pairs is in the default scope.
  const runId = Number(await runSelect.inputValue())
  const perturbable = await call<{ genes: { gene: string; status: string }[] }>(page, 'predict:genes', { runId })
  const genes = perturbable.genes.filter((g) => g.status === 'seen-single').map((g) => g.gene).slice(0, 4)
  expect(genes, 'four genes seen alone in training').toHaveLength(4)
  const [a, b] = genes

  // A typo and a repeat are named before anything runs.
  const input = page.getByTestId('design-genes-input')
  await input.fill(`${a}, ${b}; ${a}\nNOTAGENE1`)
  await expect(page.getByTestId('design-duplicates')).toContainText(a)
  await expect(page.getByTestId('design-unknown')).toContainText('NOTAGENE1')
  await expect(page.getByTestId('design-run')).toBeDisabled()

  await input.fill(genes.join(', '))
  await expect(page.getByTestId('design-gene-check')).toContainText('4 genes, 6 pairs')
  await expect(page.getByTestId('design-estimate')).toContainText('6 pairs and 4 singles to predict', { timeout: 30_000 })
  await page.getByTestId('design-run').click()

  // The heatmap: genes × genes in the order given, coloured by GI magnitude, with its legend.
  const heatmap = page.getByTestId('design-heatmap')
  await expect(heatmap).toHaveAttribute('data-genes', genes.join(','), { timeout: 60_000 })
  await expect(heatmap).toHaveAttribute('data-score', 'mag')
  await expect(heatmap.locator('canvas').first()).toBeVisible()
  await expect(page.getByTestId('design-heatmap-legend')).toContainText('GI magnitude')

  // The ranked table: every pair with a type call and its scores.
  const table = page.getByTestId('design-table')
  const rows = table.locator('tbody tr')
  await expect(rows).toHaveCount(6)
  await expect(page.getByTestId('design-table-count')).toContainText('6 of 6 pairs')
  const first = rows.first()
  const condition = (await first.getAttribute('data-condition'))!
  expect(condition.split('+').every((g) => genes.includes(g))).toBe(true)
  await expect(first).toContainText(new RegExp(GI_TYPES.join('|')))

  // A row opens the pair; shortlisting puts it in the guide plan.
  await first.click()
  await expect(page.getByTestId('design-pair-condition')).toHaveText(condition.replace('+', ' + '))
  await first.getByTestId('design-shortlist-add').click()
  await expect(first.getByTestId('design-shortlist-add')).toBeDisabled()
  // one row per perturbation (the guides of its genes are listed in a row beneath it)
  const planRows = page.getByTestId('design-plan-table').locator('tr[data-condition]')
  await expect(planRows).toHaveCount(1)
  await expect(planRows.first()).toHaveAttribute('data-condition', condition)
  await expect(planRows.first()).toContainText(/seen alone/, { timeout: 30_000 })

  // The plan as CSV: the header and one row for the shortlisted pair with its scores; its
  // provenance downloaded beside it.
  const [planDownload, provenanceDownload] = await csvWithProvenance(page, () => page.getByTestId('design-export-plan').click())
  expect(planDownload.suggestedFilename()).toMatch(/^guide-plan-run\d+.*\.csv$/)
  const csv = parseCsv(fs.readFileSync((await planDownload.path())!, 'utf8'))
  expect(csv.comments).toEqual([])
  expect(provenanceDownload.suggestedFilename()).toBe(planDownload.suggestedFilename().replace(/\.csv$/, '.provenance.txt'))
  const provenance = fs.readFileSync((await provenanceDownload.path())!, 'utf8').split('\n')
  expect(provenance[0]).toMatch(/^Perturb Studio /)
  expect(provenance.some((l) => /^dataset: Demo: synthetic small screen/.test(l))).toBe(true)
  expect(provenance.some((l) => l.startsWith(`run: ${runId}`))).toBe(true)
  expect(provenance.some((l) => l.startsWith('GI calls:'))).toBe(true)
  expect(csv.header.slice(0, 3)).toEqual(['condition', 'gene_a', 'gene_b'])
  for (const column of ['gi_type', 'mag', 'uncertainty', 'gene_a_seen', 'top_changed_genes']) expect(csv.header).toContain(column)
  expect(csv.rows).toHaveLength(1)
  const row = Object.fromEntries(csv.header.map((h, i) => [h, csv.rows[0][i]]))
  expect(row.condition).toBe(condition)
  expect([row.gene_a, row.gene_b].sort()).toEqual(condition.split('+').sort())
  expect(GI_TYPES as readonly string[]).toContain(row.gi_type)
  expect(Number.isFinite(Number(row.mag))).toBe(true)
  expect(row.gene_a_seen).toBe('true')
  expect(row.top_changed_genes).toMatch(/\w+ \([+-]?\d/)

  // The heatmap as PNG, drawn by the core.
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('design-export-heatmap').click()])
  expect(pngDownload.suggestedFilename()).toMatch(/\.png$/)
  const png = fs.readFileSync((await pngDownload.path())!)
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(png.length).toBeGreaterThan(10_000)

  // The map as a table in one Excel workbook (its provenance inside): one download.
  const [bookDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('design-export-map-xlsx').click()])
  expect(bookDownload.suggestedFilename()).toMatch(/^gi-map-\d+-run\d+\.xlsx$/)
  expect(fs.readFileSync((await bookDownload.path())!).subarray(0, 4).toString('latin1')).toBe('PK\x03\x04')
  await expect(page.getByTestId('design-heatmap-message')).toHaveText(`Downloaded ${bookDownload.suggestedFilename()}`)
  await page.getByTestId('design-plan').screenshot({ path: test.info().outputPath('design-plan-exports.png') })
  await page.getByTestId('design-export-map-xlsx').locator('xpath=..').screenshot({ path: test.info().outputPath('design-map-exports.png') })

  // Removing it empties the plan again.
  await planRows.first().getByTestId('design-shortlist-remove').click()
  await expect(page.getByTestId('design-plan-empty')).toBeVisible()
})
