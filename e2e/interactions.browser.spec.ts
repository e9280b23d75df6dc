import os from 'node:os'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { callChannel as call, expect, test, trainDemoGears } from './fixtures'

/** Screenshots for a person to look at, outside the repository (other runs clear test-results). */
const shot = (page: Page, name: string, target?: ReturnType<Page['getByTestId']>) => (target ?? page).screenshot({ path: path.join(os.tmpdir(), 'perturb-studio-shots', 'interactions', `${name}.png`) })

interface ObservedPairs {
  pairs: { condition: string; genes: [string, string]; scores: unknown }[]
}

test('each pair of the map gets one call with its rule, the measured call beside it (disagreement said in words), ⚠ explained, scores behind More columns, a labelled heatmap', async ({ page }) => {
  test.setTimeout(240_000)
  await trainDemoGears(page, 'Interactions', 'GEARS one epoch')
  const [{ datasetId }] = await call<{ datasetId: number }[]>(page, 'dataset:list', {})
  const runs = await call<{ id: number; kind: string }[]>(page, 'run:list', { datasetId })
  const runId = runs.find((r) => r.kind === 'model')!.id

  // Genes the run saw perturbed, with pairs the demo screen measured together with both singles.
  const perturbable = await call<{ genes: { gene: string; status: string }[] }>(page, 'predict:genes', { runId })
  const seen = new Set(perturbable.genes.filter((g) => g.status === 'seen-single').map((g) => g.gene))
  const observed = await call<ObservedPairs>(page, 'design:observed', { datasetId })
  const measured = observed.pairs.filter((p) => p.scores && p.genes.every((g) => seen.has(g)))
  expect(measured.length, 'the demo measured pairs of two seen genes').toBeGreaterThan(0)
  const genes = [...new Set(measured.slice(0, 3).flatMap((p) => p.genes))].slice(0, 5)
  for (const g of seen) if (genes.length < 5 && !genes.includes(g)) genes.push(g)
  const pairs = (genes.length * (genes.length - 1)) / 2

  // A stored map of the same genes read strictly for collinear singles, as `gi --threshold collinearSingles=0.2` would.
  const strict = await call<{ mapId: number; pairs: { call: { illDetermined?: boolean } | null }[] }>(page, 'design:map', { runId, genes, name: 'strict', thresholds: { collinearSingles: 0.2 } })
  expect(strict.pairs.some((p) => p.call?.illDetermined), 'some predicted singles lie closer than cosine 0.2').toBe(true)

  await page.getByTestId('nav-design').click()
  await page.getByTestId('design-genes-input').fill(genes.join(', '))
  await expect(page.getByTestId('design-estimate')).toContainText(`${pairs} pairs`, { timeout: 30_000 })
  await page.getByTestId('design-run').click()
  await expect(page.getByTestId('design-heatmap')).toHaveAttribute('data-genes', genes.join(','), { timeout: 60_000 })

  // The table by default: what a biologist reads; the fit's scores are behind "More columns".
  const table = page.getByTestId('design-table')
  const heads = table.locator('thead th')
  await expect(heads).toHaveText([/Pair/, /Predicted call/, /Strength/, /Measured call/, /Confidence/, /Guide plan/])
  await expect(table.locator('thead')).not.toContainText('corr_fit')
  const rows = table.locator('tbody tr')
  await expect(rows).toHaveCount(pairs)
  // One call per pair: a single badge, never a list of criteria.
  for (let i = 0; i < pairs; i++) await expect(rows.nth(i).getByTestId('design-row-call').locator('.type')).toHaveCount(1)
  await expect(rows.first().getByTestId('design-row-call')).toHaveText(/^(neomorphic|redundant|epistasis|additive|synergy|strong synergy|suppression)\s*⚠?$/)
  await expect(rows.first()).toContainText(/\d\.\d\d×/)
  await shot(page, 'table-default', page.getByTestId('design-table').locator('..').locator('..'))
  await page.getByTestId('design-more-columns').check()
  await expect(table.locator('thead')).toContainText('corr_fit')
  await expect(table.locator('thead')).toContainText('dcor_singles')
  await shot(page, 'table-more-columns', page.getByTestId('design-table').locator('..').locator('..'))
  await page.getByTestId('design-more-columns').uncheck()
  await expect(table.locator('thead')).not.toContainText('corr_fit')

  // A measured pair: the measured call beside the predicted one, and in words whether they agree.
  let disagreements = 0
  for (const p of measured.filter((m) => m.genes.every((g) => genes.includes(g)))) {
    const row = table.locator(`tbody tr[data-condition="${p.condition}"]`)
    await expect(row.getByTestId('design-row-observed').locator('.type')).toHaveCount(1)
    await row.click()
    await expect(page.getByTestId('design-pair-rule')).toContainText(/^Why: /)
    await expect(page.getByTestId('design-pair-observed')).toHaveText(/\w/)
    const comparison = page.getByTestId('design-pair-comparison')
    await expect(comparison).toHaveText(/^Prediction and measurement (agree|disagree)/)
    if (/disagree/.test((await comparison.textContent()) ?? '')) {
      disagreements++
      await expect(comparison).toContainText('the measured cells show')
      await expect(row.getByTestId('design-row-disagree')).toHaveText('≠')
      if (disagreements === 1) await shot(page, 'pair-disagrees', page.getByTestId('design-pair'))
    } else await expect(row.getByTestId('design-row-disagree')).toHaveCount(0)
  }
  expect(disagreements, 'the one-epoch run misses some measured interaction').toBeGreaterThan(0)

  // The heatmap: values, a titled colour bar, and "no pair" hatched apart from additive (white).
  const legend = page.getByTestId('design-heatmap-legend')
  await expect(legend).toContainText('white: additive')
  await expect(page.getByTestId('design-heatmap-nopair')).toContainText('Hatched grey cells: no pair')
  await expect(page.getByTestId('design-heatmap-nopair')).toContainText('not the same as additive')
  await expect(legend).toContainText('Each cell shows its value')
  await shot(page, 'heatmap', page.getByTestId('design-heatmap').locator('..'))

  // ⚠ in words: the strict map marks pairs whose call rests on singles it reads as too alike.
  await page.getByTestId('design-maps').locator('tr', { hasText: `#${strict.mapId}` }).getByRole('button', { name: 'Open' }).click()
  const flagged = table.locator('tbody tr', { has: page.getByTestId('design-ill-determined') })
  await expect(flagged.first()).toBeVisible({ timeout: 30_000 })
  await expect(flagged.first().getByTestId('design-ill-determined')).toHaveAttribute('title', /^⚠ Not reliable: the two singles change the same genes .*What to do: treat this .* call as unknown/)
  await flagged.first().click()
  const ill = page.getByTestId('design-pair-ill')
  await expect(ill).toContainText('Not reliable')
  await expect(ill).toContainText(/cosine -?\d\.\d\d over \d+ genes, beyond ±0\.2/)
  await expect(ill).toContainText('What to do')
  await expect(page.getByTestId('design-pair-rule')).toBeVisible()
  // The precedence, in order, under the pair.
  await page.getByText('How a pair gets its one call').click()
  await expect(page.getByTestId('design-pair').locator('.rules ol li strong')).toHaveText(['neomorphic', 'redundant', 'epistasis', 'additive', 'synergy', 'suppression'])
  await shot(page, 'pair-warning', page.getByTestId('design-pair'))
  await shot(page, 'design-full')
})
