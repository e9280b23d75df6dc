import fs from 'node:fs'
import path from 'node:path'
import type { GuidePlan, SearchResult } from '../src-shared/contract/channels/design'
import { parseCsv } from '../src-shared/exports/csv'
import { callChannel as call, csvWithProvenance, expect, SHARED, test } from './fixtures'

/** Screenshots for a person to look at (not compared): $E2E_SCREENSHOTS, else test-results/guides/. */
const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(import.meta.dirname, '..', 'test-results', 'guides')
const shot = (name: string) => {
  fs.mkdirSync(SHOTS, { recursive: true })
  return path.join(SHOTS, name)
}

test('on a Papalexi run, the target search shows a tie as one group and the guide plan lists the screen’s guides with their knockdown', async ({ page, studio }) => {
  // The Papalexi 2021 screen (.h5ad: guide and replicate per cell) and a GEARS run of one epoch, from the command line.
  studio.cli(['knowledge', 'build', '--knowledge', path.join(SHARED, 'knowledge')])
  studio.cli(['project', 'create', 'Papalexi THP-1'])
  const imported = studio.cli(['import', path.join(SHARED, 'datasets', 'papalexi2021', 'papalexi2021_counts.h5ad'), '--condition-column', 'condition', '--control-label', 'ctrl', '--name', 'Papalexi 2021']) as { datasetId: number }
  const trained = studio.cli(['train', '--dataset', String(imported.datasetId), '--model', 'gears', '--epochs', '1', '--name', 'GEARS one epoch']) as { runId: number; status: string }
  expect(trained.status).toBe('completed')

  await page.reload()
  await page.getByTestId('project-open').click()
  await page.getByTestId('nav-design').click()
  await expect(page.getByTestId('design-run-select').locator('option:checked')).toContainText('GEARS one epoch')

  // A signature of one gene down: every candidate's predicted change on it is either down or up, so many tie.
  const search = page.getByTestId('design-search')
  await search.getByTestId('design-signature-down').fill('STAT1')
  await search.locator('input[type=checkbox]').uncheck()
  await search.getByTestId('design-search-run').click()
  await expect(search.getByTestId('design-search-summary')).toContainText('perturbations ranked by', { timeout: 120_000 })

  // The same search through the core: its ties are the screen's tie rows.
  const core = await call<SearchResult>(page, 'design:search', { runId: trained.runId, signature: { up: [], down: ['STAT1'] }, pairs: false, top: 50 })
  expect(core.ties.length, 'a one-gene signature ties candidates').toBeGreaterThan(0)
  const biggest = [...core.ties].sort((a, b) => b.conditions.length - a.conditions.length)[0]
  const tieRows = search.getByTestId('design-search-tie')
  await expect(tieRows).toHaveCount(core.ties.length)
  const tieRow = search.locator(`[data-testid=design-search-tie][data-tie="${biggest.tie}"]`)
  await expect(tieRow).toContainText(`${biggest.conditions.length} genes tie`)
  await expect(tieRow).toContainText('not a ranking')
  await expect(tieRow).toContainText(`${biggest.rank}–${biggest.rank + biggest.conditions.length - 1}`)
  for (const c of biggest.conditions) await expect(tieRow).toContainText(c.replace('+ctrl', ''))
  await expect(search.getByTestId('design-search-tie-note')).toContainText('cannot tell them apart')
  // No member of a tie is listed with a rank of its own until asked for, and then it shares the rank.
  await expect(search.locator(`tr[data-condition="${biggest.conditions[0]}"]`)).toHaveCount(0)
  await tieRow.getByTestId('design-search-tie-toggle').click()
  const member = search.locator(`tr.tie-member[data-condition="${biggest.conditions[0]}"]`)
  await expect(member.locator('td').first()).toHaveText('=')
  await search.screenshot({ path: shot('search-tie.png') })

  // STAT1 and IRF7 (its own expression is not among the 299 measured genes) into the guide plan.
  for (const toggle of await search.getByTestId('design-search-tie-toggle').all()) if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
  for (const gene of ['STAT1', 'IRF7']) await search.locator(`tr[data-condition="${gene}+ctrl"]`).getByTestId('design-search-shortlist-add').click()

  const plan = page.getByTestId('design-plan')
  const stat1 = plan.locator('[data-testid=design-plan-guides] [data-gene=STAT1]')
  await expect(stat1.locator('tr[data-guide]')).toHaveCount(4, { timeout: 60_000 })
  const expected = studio.cli(['plan', '--run', String(trained.runId), '--items', 'STAT1,IRF7']) as GuidePlan
  const guides = expected.rows[0].guides[0].guides
  expect(guides.map((g) => g.guide)).toEqual(['STAT1g1', 'STAT1g2', 'STAT1g3', 'STAT1g4'])
  for (const g of guides) {
    const row = stat1.locator(`tr[data-guide="${g.guide}"]`)
    await expect(row).toContainText(String(g.cells))
    // the knockdown as the core measured it, overall and in each of the three replicates
    await expect(row.locator('td').nth(2)).toHaveText(`${Math.round((1 - g.knockdown!.remaining!) * 100)} %`)
    expect(g.replicates.map((r) => r.replicate)).toEqual(['rep_1', 'rep_2', 'rep_3'])
    for (const [k, r] of g.replicates.entries()) await expect(row.locator('td').nth(3 + k)).toContainText(`${Math.round((1 - r.remaining!) * 100)} % (${r.cells})`)
  }
  await expect(stat1.locator('tr[data-guide="STAT1g4"]')).toContainText('few') // 16 cells
  await expect(plan.getByTestId('design-plan-guide-source')).toContainText('guide')
  await expect(plan.getByTestId('design-plan-guide-source')).toContainText('rep_1, rep_2, rep_3')
  const irf7 = plan.locator('[data-testid=design-plan-guides] [data-gene=IRF7]')
  await expect(irf7.locator('tr[data-guide]')).toHaveCount(4)
  await expect(irf7).toContainText('not among the dataset')
  await plan.screenshot({ path: shot('guide-plan.png') })
  await page.screenshot({ path: shot('design-page.png'), fullPage: true })

  // The CSV carries the guides in words, with their knockdown.
  const downloads = await csvWithProvenance(page, () => plan.getByTestId('design-export-plan').click())
  const csv = parseCsv(fs.readFileSync((await downloads[0].path())!, 'utf8'))
  const col = (name: string) => csv.header.indexOf(name)
  const stat1Row = csv.rows.find((r) => r[0] === 'STAT1+ctrl')!
  expect(stat1Row[col('gene_a_guides')]).toMatch(/^STAT1g1: 50 cells, [\d.]+ % knockdown \(rep_1 [\d.-]+ %, rep_2 [\d.-]+ %, rep_3 [\d.-]+ %\); STAT1g2: 99 cells/)
  expect(Number(stat1Row[col('gene_a_knockdown_pct')])).toBeGreaterThan(50)
  const irf7Row = csv.rows.find((r) => r[0] === 'IRF7+ctrl')!
  expect(irf7Row[col('gene_a_guides')]).toBe('IRF7g1: 306 cells; IRF7g2: 165 cells; IRF7g3: 84 cells; IRF7g4: 59 cells')
})
