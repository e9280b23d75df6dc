import { _electron as electron, expect, test } from '@playwright/test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
// Plain JS shared with scripts/start.js; its JSDoc types are checked (tsconfig.node.json).
import { findElectronBinary } from '../scripts/electron-binary.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const binary = findElectronBinary() as { path: string | null; reason?: string }
const built = fs.existsSync(path.join(ROOT, 'out', 'main', 'index.js'))
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
const skipReason = !binary.path
  ? `no Electron binary installed: ${binary.reason}`
  : !built
    ? 'the desktop app is not built (run `npm run build`)'
    : !display
      ? 'no display server (run under xvfb-run)'
      : ''
if (skipReason) console.log(`Electron e2e skipped: ${skipReason}.`)

test.describe('desktop app', () => {
  test.skip(Boolean(skipReason), skipReason)

  test('opens with every screen in the navigation and creates a project over IPC', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-electron-'))
    const app = await electron.launch({ executablePath: binary.path!, args: [ROOT, '--home', home] })
    const page = await app.firstWindow()
    for (const name of ['projects', 'datasets', 'pathways', 'training', 'predict', 'design']) {
      await expect(page.getByTestId(`nav-${name}`)).toBeVisible()
    }
    // The renderer has the contract bridge and no Node.
    expect(await page.evaluate('typeof require')).toBe('undefined')
    await page.getByTestId('project-name-input').fill('Desktop project')
    await page.getByTestId('project-create').click()
    await expect(page.locator('[data-testid^="project-row-"]')).toHaveCount(1)
    await app.close()
    fs.rmSync(home, { recursive: true, force: true })
  })
})
