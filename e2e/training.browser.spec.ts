import type { Page } from '@playwright/test'
import fs from 'node:fs'
import { csvWithProvenance, expect, test } from './fixtures'

/** Points the loss chart is drawing (the monitor exposes the count on its wrapper). */
async function lossPoints(page: Page): Promise<number> {
  return Number((await page.getByTestId('train-loss-chart').getAttribute('data-points')) ?? 0)
}

test('train on the demo dataset: watch the loss, cancel one run, complete another, compare with the baselines', async ({ page }) => {
  await page.getByTestId('project-name-input').fill('Training')
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('dataset-demo').click()
  await expect(page.getByTestId('dataset-summary')).toContainText('Demo: synthetic small screen', { timeout: 90_000 })

  await page.getByTestId('nav-training').click()
  await expect(page.getByTestId('run-list-empty')).toBeVisible()
  await page.getByTestId('train-model').selectOption('gears')
  // The formulation, seeds, batch and engine are under Advanced.
  await expect(page.getByTestId('train-backend')).toBeHidden()
  await page.getByTestId('train-advanced').locator('summary').click()
  await expect(page.getByTestId('train-backend')).toBeVisible()
  // The published formulation trains every epoch it is asked for (the grounded default on this small
  // screen cross-validates first and may keep the prior, epoch 0: ml/residual.test.ts covers it).
  await expect(page.getByTestId('train-prior-knowledge')).toBeChecked()
  await page.getByTestId('train-prior-none').check()

  // A long run, to be cancelled once the chart has moved. The estimate follows the settings.
  await page.getByTestId('train-epochs').fill('300')
  await page.getByTestId('train-cells').fill('8')
  await expect(page.getByTestId('train-estimate')).toContainText('Time')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('train-status')).toHaveText(/^(queued|running)$/)
  await expect(page.getByTestId('train-status')).toHaveText('running', { timeout: 60_000 })
  await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThan(0)
  const first = await lossPoints(page)
  await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThan(first)
  await expect(page.getByTestId('train-epoch')).toHaveText(/^\d+ \/ 300$/)
  await expect(page.getByTestId('train-backend-info')).toContainText(/wasm|cpu|tfjs-node/)

  await page.getByTestId('train-cancel').click()
  await expect(page.getByTestId('train-status')).toHaveText('cancelled', { timeout: 60_000 })
  await expect(page.getByTestId('train-cancel')).toHaveCount(0)

  // A short run that completes.
  await page.getByTestId('train-epochs').fill('2')
  await page.getByTestId('train-name').fill('GEARS short')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('train-status')).toHaveText('completed', { timeout: 90_000 })
  await expect(page.getByTestId('train-val-chart')).toHaveAttribute('data-points', '2')
  // The verdict: how the tested model compares with the best baseline, overall first, with its call.
  const overallVerdict = page.getByTestId('train-verdict').getByTestId('train-verdict-overall')
  await expect(overallVerdict).toContainText(/Overall .*(better than|worse than|too few conditions)/)
  await expect(overallVerdict.getByTestId('verdict-call')).toHaveText(/^(better|no better|worse)$/)
  const runs = page.getByTestId('run-list')
  await expect(runs.locator('tbody tr')).toHaveCount(2)
  await expect(runs.locator('tbody tr', { hasText: 'GEARS short' })).toContainText('completed')
  await expect(runs.locator('tbody tr', { hasText: 'cancelled' })).toHaveCount(1)

  // Its test metrics beside the baselines of the same split.
  await page.getByTestId('train-compare').click()
  const table = page.getByTestId('compare-table')
  await expect(table).toBeVisible()
  const model = page.getByTestId('compare-row-overall-gears')
  await expect(model).toContainText('GEARS short')
  await expect(model.getByTestId('compare-cell-pearson_delta')).toHaveText(/^-?\d\.\d{3}$/)
  await expect(model.getByTestId('compare-cell-mse_de')).toHaveText(/^\d\.\d{3}$/)
  for (const baseline of ['no_perturb', 'train_mean', 'additive', 'train_mean_self']) {
    const row = page.getByTestId(`compare-row-overall-${baseline}`)
    await expect(row).toContainText('baseline')
    await expect(row.getByTestId('compare-cell-mse_de')).toHaveText(/^\d\.\d{3}$/)
  }
  await expect(page.getByTestId('compare-chart-mse_de')).toBeVisible()

  // The CSV starts with its header row; where it came from is a second download beside it.
  const downloads = await csvWithProvenance(page, () => page.getByTestId('compare-export-csv').click())
  const csv = fs.readFileSync((await downloads[0].path())!, 'utf8')
  expect(csv).toMatch(/^run_id,/)
  expect(fs.readFileSync((await downloads[1].path())!, 'utf8')).toMatch(/^Perturb Studio /)
  const header = csv.split('\n')[0]
  expect(header).toContain('pearson_delta')
  expect(csv).toMatch(/\n\d+,gears,model,GEARS short,/)
  expect(csv).toMatch(/\n\d+,train_mean,baseline,/)
})
