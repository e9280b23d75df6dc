import path from 'node:path'
import { expect, SHARED, test } from './fixtures'

const PAPALEXI = path.join(SHARED, 'datasets', 'papalexi2021')

test('imports the Papalexi 10x folder through the wizard and shows its summary', async ({ page }) => {
  await page.getByTestId('project-name-input').fill('Papalexi THP-1')
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await expect(page.getByTestId('dataset-empty')).toBeVisible()

  await page.getByTestId('import-open').click()
  // The 10x layout: matrix, features, barcodes and the cell-metadata CSV, chosen together.
  await page.getByTestId('import-file-input').setInputFiles(['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz', 'cells.csv'].map((f) => path.join(PAPALEXI, f)))
  await expect(page.getByTestId('import-preview')).toContainText('10x')
  await expect(page.getByTestId('import-preview')).toContainText('20,729')

  await page.getByTestId('import-condition-column').selectOption('target')
  await page.getByTestId('import-control-label').selectOption(['non-targeting'])
  await page.getByTestId('import-submit').click()

  const summary = page.getByTestId('dataset-summary')
  await expect(summary).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('summary-cells')).toHaveText('20,729')
  await expect(page.getByTestId('summary-genes')).toHaveText('299')
  await expect(page.getByTestId('summary-control-cells')).toHaveText('2,386')
  await expect(page.getByTestId('summary-singles')).toHaveText('25')
  await expect(page.getByTestId('summary-combos')).toHaveText('0')

  // The conditions table searches, and the DE view shows STAT1 knockout lowering STAT1.
  await page.getByTestId('condition-search').fill('STAT1')
  await expect(page.getByTestId('condition-table').locator('tbody tr')).toHaveCount(1)
  await page.getByTestId('de-condition').selectOption('STAT1+ctrl')
  await expect(page.getByRole('img', { name: /top differentially expressed genes/ })).toBeVisible()
  // Clicking the dataset already shown keeps its DE view (it used to go blank until another condition was picked).
  await page.getByTestId('dataset-list').getByRole('tab').first().click()
  await page.waitForTimeout(500)
  await expect(page.getByRole('img', { name: /top differentially expressed genes/ })).toBeVisible()
})

test('a wrong file gets a clear error in the wizard and nothing is imported', async ({ page, studio }) => {
  await page.getByTestId('project-name-input').fill('Errors')
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('import-open').click()
  await page.getByTestId('import-file-input').setInputFiles({ name: 'notes.h5ad', mimeType: 'application/octet-stream', buffer: Buffer.from('just some text, not HDF5\n') })
  await expect(page.getByTestId('import-error')).toContainText('notes.h5ad')
  expect(studio.cli(['dataset', 'list'])).toEqual([])
})

test('a new user creates the demo dataset in one click', async ({ page }) => {
  await page.getByTestId('project-name-input').fill('Demo')
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('dataset-demo').click()
  await expect(page.getByTestId('dataset-summary')).toContainText('Demo: synthetic small screen', { timeout: 90_000 })
  await expect(page.getByTestId('summary-combos')).not.toHaveText('0')
  await expect(page.getByTestId('summary-singles')).not.toHaveText('0')
})
