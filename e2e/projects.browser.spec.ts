import { expect, test } from './fixtures'

test('create, rename and delete a project through the UI', async ({ page, studio }) => {
  await expect(page.getByTestId('nav-projects')).toBeVisible()
  for (const name of ['projects', 'datasets', 'pathways', 'training', 'predict', 'design']) {
    await expect(page.getByTestId(`nav-${name}`)).toBeVisible()
  }
  await expect(page.getByTestId('project-empty')).toBeVisible()

  // Create
  await page.getByTestId('project-name-input').fill('THP-1 interferon screen')
  await page.getByTestId('project-create').click()
  const row = page.locator('[data-testid^="project-row-"]')
  await expect(row).toHaveCount(1)
  await expect(row.getByTestId('project-open')).toHaveText('THP-1 interferon screen')
  await expect(page.getByTestId('open-project')).toContainText('THP-1 interferon screen')
  await expect(page.getByTestId('recent-runs-empty')).toBeVisible()

  // Rename
  await row.getByTestId('project-rename').click()
  await page.getByTestId('project-rename-input').fill('THP-1 IFN-γ screen')
  await page.getByTestId('project-rename-save').click()
  await expect(row.getByTestId('project-open')).toHaveText('THP-1 IFN-γ screen')
  expect((studio.cli(['project', 'list']) as { name: string }[]).map((p) => p.name)).toEqual(['THP-1 IFN-γ screen'])

  // A reload keeps the project (it lives in SQLite, not in the page).
  await page.reload()
  await expect(page.locator('[data-testid^="project-row-"]').getByTestId('project-open')).toHaveText('THP-1 IFN-γ screen')

  // Delete asks first; cancel keeps it, confirm removes it.
  await page.getByTestId('project-delete').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('THP-1 IFN-γ screen')
  await page.getByTestId('confirm-cancel').click()
  await expect(page.locator('[data-testid^="project-row-"]')).toHaveCount(1)
  await page.getByTestId('project-delete').click()
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('project-empty')).toBeVisible()
  expect(studio.cli(['project', 'list'])).toEqual([])
})

test('an empty name cannot be submitted and an over-long one is refused by the core', async ({ page, studio }) => {
  await page.getByTestId('project-name-input').fill('   ')
  await expect(page.getByTestId('project-create')).toBeDisabled()
  // The UI caps input at 200 characters; the contract refuses more even from a scripted client.
  const res = await page.evaluate(async () => {
    const r = await fetch('/api/project:create', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(10_000) }) })
    return { status: r.status, body: await r.json() }
  })
  expect(res.status).toBe(400)
  expect((res.body as { error: { code: string } }).error.code).toBe('contract.invalid-input')
  expect(studio.cli(['project', 'list'])).toEqual([])
})
