import { defineConfig } from '@playwright/test'

/**
 * End-to-end journeys. `browser` runs the real server (perturb-studio serve) in Debian's
 * Chromium; `electron` launches the desktop app and skips with a reason when no Electron binary
 * is installed. Each browser spec starts its own server on a temp data folder (e2e/fixtures.ts).
 */
export default defineConfig({
  testDir: 'e2e',
  // Whole journeys (demo dataset, training, prediction) on a 2-core CI machine.
  timeout: 300_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  projects: [
    { name: 'browser', testMatch: /.*\.browser\.spec\.ts/ },
    { name: 'electron', testMatch: /.*\.electron\.spec\.ts/ },
  ],
})
