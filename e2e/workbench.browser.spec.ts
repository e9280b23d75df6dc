import type { Page } from '@playwright/test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, SHARED, test } from './fixtures'

const PAPALEXI = path.join(SHARED, 'datasets', 'papalexi2021')
/** Screens as the user saw them, to look at after a run (outside test-results, which every run clears). */
const SHOTS = process.env.PS_SHOTS ?? path.join(os.tmpdir(), 'perturb-studio-shots', 'workbench')

async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
}

/** Console errors the page logged (a refused request used to be one: "status of 422"). */
function consoleErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return errors
}

async function createProject(page: Page, name: string) {
  await page.getByTestId('project-name-input').fill(name)
  await page.getByTestId('project-create').click()
  await expect(page.getByTestId('open-project')).toContainText(name)
}

test('import names datasets after their folder or file, warns of a second copy, and hides upload folders', async ({ page, studio }) => {
  const errors = consoleErrors(page)
  await createProject(page, 'Papalexi THP-1')
  await page.getByTestId('nav-datasets').click()

  // A 10x folder picked whole: named after the folder, not after its four files.
  await page.getByTestId('import-open').click()
  await page.getByTestId('import-folder-input').setInputFiles(PAPALEXI)
  await expect(page.getByTestId('import-preview')).toContainText('20,729')
  await expect(page.getByTestId('import-name')).toHaveValue('papalexi2021')
  await expect(page.getByTestId('import-duplicate')).toHaveCount(0)
  await page.getByTestId('import-condition-column').selectOption('target')
  await page.getByTestId('import-control-label').selectOption(['non-targeting'])
  await page.getByTestId('import-submit').click()
  await expect(page.getByTestId('summary-cells')).toHaveText('20,729', { timeout: 60_000 })

  // The .h5ad is named after its file (its content differs from the 10x files: no warning).
  await page.getByTestId('import-open').click()
  await page.getByTestId('import-file-input').setInputFiles(path.join(PAPALEXI, 'papalexi2021_counts.h5ad'))
  await expect(page.getByTestId('import-name')).toHaveValue('papalexi2021_counts')
  await expect(page.getByTestId('import-duplicate')).toHaveCount(0)
  await page.getByRole('button', { name: 'Back' }).click()

  // The same folder again: the wizard says the project already has it, before anything is imported.
  await page.getByTestId('import-folder-input').setInputFiles(PAPALEXI)
  await expect(page.getByTestId('import-duplicate')).toContainText('“papalexi2021”')
  await expect(page.getByTestId('import-duplicate')).toContainText('already has these files')
  await shot(page, 'import-duplicate')
  await page.getByRole('button', { name: 'Back' }).click()

  // A file it cannot read: the message names the file the user picked, never the server's upload folder.
  await page.getByTestId('import-file-input').setInputFiles({ name: 'notes.h5ad', mimeType: 'application/octet-stream', buffer: Buffer.from('just some text, not HDF5\n') })
  await expect(page.getByTestId('import-error')).toContainText('notes.h5ad')
  await expect(page.getByTestId('import-error')).not.toContainText('uploads')
  await expect(page.getByTestId('import-error')).not.toContainText(studio.home)
  await shot(page, 'import-error')
  // The refusal is shown on the page, not logged by the browser as a failed request.
  expect(errors).toEqual([])
  expect((studio.cli(['dataset', 'list']) as unknown[]).length).toBe(1)
})

test('training setup: plain-word hovers, Advanced folded away, single split on a singles-only screen, glossary page, sticky sidebar', async ({ page }) => {
  await createProject(page, 'Singles')
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('import-open').click()
  await page.getByTestId('import-file-input').setInputFiles(path.join(PAPALEXI, 'papalexi2021_counts.h5ad'))
  await page.getByTestId('import-condition-column').selectOption('target')
  await page.getByTestId('import-control-label').selectOption(['non-targeting'])
  await page.getByTestId('import-submit').click()
  await expect(page.getByTestId('summary-combos')).toHaveText('0', { timeout: 60_000 })

  await page.getByTestId('nav-training').click()
  // Papalexi has no pairs: the GEARS simulation split cannot test it; the single split is the default.
  await expect(page.getByTestId('train-split')).toHaveValue('single')
  await expect(page.getByTestId('train-split-help')).toContainText('Holds out 10 % of the perturbed genes')
  // Dataset, model, epochs and split by default; the rest under Advanced, which says what it holds.
  for (const id of ['train-dataset', 'train-model', 'train-epochs', 'train-split']) await expect(page.getByTestId(id)).toBeVisible()
  for (const id of ['train-prior-none', 'train-split-seed', 'train-batch-conditions', 'train-backend', 'train-self-effect']) await expect(page.getByTestId(id)).toBeHidden()
  await expect(page.getByTestId('train-advanced')).toContainText('split seed 1')
  await expect(page.getByTestId('train-estimate')).toContainText('Time')
  await shot(page, 'training-setup')

  // Hover explanations in plain words, from the one glossary.
  await page.getByTestId('train-split-label').hover()
  await expect(page.getByTestId('explain-tip')).toContainText('train / validation / test')
  await page.getByTestId('train-epochs-label').hover()
  await expect(page.getByTestId('explain-tip')).toContainText('passes over the data')
  await shot(page, 'training-hover')
  await page.getByTestId('train-advanced').locator('summary').click()
  for (const id of ['train-prior-none', 'train-split-seed', 'train-batch-conditions', 'train-backend', 'train-self-effect']) await expect(page.getByTestId(id)).toBeVisible()
  await page.getByTestId('train-batch-label').hover()
  await expect(page.getByTestId('explain-tip')).toContainText('How many conditions the network sees before each update')
  await shot(page, 'training-advanced')
  // Keyboard users get the same explanation on focus.
  await page.getByTestId('train-batch-label').blur()
  await page.mouse.move(5, 5)
  await expect(page.getByTestId('explain-tip')).toHaveCount(0)
  await page.getByTestId('train-epochs-label').focus()
  await expect(page.getByTestId('explain-tip')).toContainText('passes over the data')

  // The sidebar stays on screen at the bottom of a long page.
  await page.evaluate('window.scrollTo(0, document.body.scrollHeight)')
  await expect.poll(() => page.evaluate('window.scrollY')).toBeGreaterThan(0)
  await expect(page.getByTestId('nav-glossary')).toBeInViewport()
  await expect(page.getByTestId('nav-projects')).toBeInViewport()

  // The glossary page: every metric, with a search.
  await page.getByTestId('nav-glossary').click()
  await expect(page.getByTestId('glossary-row-pearson_delta_centroid')).toContainText('average perturbation')
  await expect(page.getByTestId('glossary-row-mse_de')).toContainText('Lower is better')
  await shot(page, 'glossary')
  await page.getByTestId('glossary-search').fill('centroid')
  await expect(page.locator('[data-testid^="glossary-row-"]')).toHaveCount(1)
  await page.getByTestId('glossary-search').fill('no such word here')
  await expect(page.getByTestId('glossary-empty')).toBeVisible()
})

test('a started run comes into view, is Run 1 with its baselines attached, and its status follows live on Projects', async ({ page }) => {
  await page.setViewportSize({ width: 1360, height: 700 })
  await createProject(page, 'Live')
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('dataset-demo').click()
  await expect(page.getByTestId('dataset-summary')).toContainText('Demo: synthetic small screen', { timeout: 90_000 })

  await page.getByTestId('nav-training').click()
  // The demo screen has pairs: the GEARS simulation split stays the default.
  await expect(page.getByTestId('train-split')).toHaveValue('simulation')
  await page.getByTestId('train-model').selectOption('gears')
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-advanced').locator('summary').click()
  await expect(page.getByTestId('train-estimate')).toContainText('Time')
  // Down at the Start button the monitor is out of sight …
  await page.getByTestId('train-start').scrollIntoViewIfNeeded()
  await expect(page.getByTestId('train-monitor')).not.toBeInViewport()
  await page.getByTestId('train-start').click()
  // … and after Start it scrolls into view with its epoch counter.
  await expect(page.getByTestId('train-monitor')).toBeInViewport()
  await expect(page.getByTestId('train-epoch')).toBeInViewport()
  await expect(page.getByTestId('train-epoch')).toHaveText(/^\d+ \/ 1$/)
  // Baselines were fitted first and took run ids, but this is the project's first run.
  await expect(page.getByTestId('train-run-label')).toHaveText('Run 1')
  await shot(page, 'training-started')

  // Projects shows the run and follows its status without a reload.
  await page.getByTestId('nav-projects').click()
  const recent = page.getByTestId('recent-runs')
  await expect(recent.locator('tbody tr')).toHaveCount(1)
  await expect(page.getByTestId('recent-run-1')).toContainText('GEARS')
  await expect(page.getByTestId('recent-run-1')).toContainText('Run 1')
  await expect(page.getByTestId('project-run-count')).toHaveText('1')
  await expect(page.getByTestId('recent-run-1').getByTestId('recent-run-status')).toHaveText('completed', { timeout: 120_000 })
  await expect(page.getByTestId('project-list').locator('tbody tr').first().locator('td').nth(2)).toHaveText('1')
  await shot(page, 'projects-live')

  // The run history lists the user's run; its baselines unfold beneath it.
  await page.getByTestId('nav-training').click()
  const runs = page.getByTestId('run-list')
  await expect(runs.locator('tbody tr')).toHaveCount(1)
  await expect(runs.getByTestId('run-number')).toHaveText('Run 1')
  const toggle = runs.locator('[data-testid^="run-baselines-"]')
  await expect(toggle).toContainText(/its \d+ baselines/)
  const baselines = Number((await toggle.textContent())!.match(/its (\d+) baselines/)![1])
  expect(baselines).toBeGreaterThanOrEqual(4)
  await toggle.click()
  await expect(runs.locator('tbody tr')).toHaveCount(1 + baselines)
  await expect(runs.locator('tr.nested', { hasText: 'no_perturb' })).toContainText('baseline of Run 1')
  await runs.locator('tr.nested', { hasText: 'additive' }).getByRole('button', { name: 'additive' }).hover()
  await expect(page.getByTestId('explain-tip')).toContainText('sum of the singles')
  await shot(page, 'training-history')

  // The Predict screen names the run the same way, and its baselines as the run's.
  await page.getByTestId('nav-predict').click()
  await expect(page.getByTestId('predict-run-select').locator('option').first()).toHaveText(/^GEARS · Run 1 · /)
  await expect(page.getByTestId('predict-compare-select')).toContainText('no_perturb baseline of Run 1')
  await shot(page, 'predict-setup')
})
