// Playwright fixtures take their dependencies as a destructured first argument, even when empty.
/* eslint-disable no-empty-pattern */
import { test as base, chromium, expect, type Browser, type Download, type Page } from '@playwright/test'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'

export const ROOT = path.resolve(import.meta.dirname, '..')
export const SHARED = path.resolve(ROOT, '..', 'shared')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface StudioServer {
  url: string
  origin: string
  home: string
  /** Runs the CLI against the same data folder; returns parsed --json output. */
  cli(args: string[]): unknown
}

async function startServer(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/perturb-studio.js'), '--home', home, '--json', 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Tests read the knowledge files from ../shared, as a user's knowledge folder.
    env: { ...process.env, PERTURB_STUDIO_KNOWLEDGE: path.join(SHARED, 'knowledge') },
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const lines = readline.createInterface({ input: child.stdout! })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve((JSON.parse(line) as { url: string }).url)
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)))
  })
  return { child, url }
}

/** Browser-mode fixtures: a real `perturb-studio serve` on a temp data folder, in Debian's Chromium. */
export const test = base.extend<{ studio: StudioServer; page: Page }, { browserInstance: Browser }>({
  browserInstance: [
    async ({}, use) => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      })
      await use(browser)
      await browser.close()
    },
    { scope: 'worker' },
  ],
  studio: async ({}, use) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-e2e-'))
    const { child, url } = await startServer(home)
    await use({
      url,
      origin: new URL(url).origin,
      home,
      cli(args) {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/perturb-studio.js'), '--home', home, '--json', ...args], { cwd: ROOT, encoding: 'utf8' })
        return JSON.parse(r.stdout)
      },
    })
    child.kill('SIGTERM')
    fs.rmSync(home, { recursive: true, force: true })
  },
  page: async ({ browserInstance, studio }, use) => {
    const context = await browserInstance.newContext({ viewport: { width: 1360, height: 860 }, acceptDownloads: true })
    const page = await context.newPage()
    await page.goto(studio.url)
    await use(page)
    await context.close()
  },
})

export { expect } from '@playwright/test'

/** A channel called as the screen calls it (same origin, the token cookie). */
export async function callChannel<T>(page: Page, channel: string, input: unknown): Promise<T> {
  const envelope = (await page.evaluate(
    async ([ch, body]) => (await fetch(`/api/${encodeURIComponent(ch as string)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json(),
    [channel, input] as const,
  )) as { ok: boolean; data?: unknown; error?: { message: string } }
  if (!envelope.ok) throw new Error(`${channel}: ${envelope.error?.message}`)
  return envelope.data as T
}

/**
 * The steps a user takes before predicting or designing: a project, the demo screen, and a GEARS
 * run of one epoch named `runName`, trained from the Training screen until it completes.
 */
export async function trainDemoGears(page: Page, projectName: string, runName: string): Promise<void> {
  await page.getByTestId('project-name-input').fill(projectName)
  await page.getByTestId('project-create').click()
  await page.getByTestId('nav-datasets').click()
  await page.getByTestId('dataset-demo').click()
  await expect(page.getByTestId('dataset-summary')).toContainText('Demo: synthetic small screen', { timeout: 90_000 })
  await page.getByTestId('nav-training').click()
  await page.getByTestId('train-model').selectOption('gears')
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-name').fill(runName)
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('train-status')).toHaveText('completed', { timeout: 90_000 })
}

/**
 * A table export's two downloads: the CSV, then its provenance sidecar (`<name>.provenance.txt`),
 * which browser mode downloads right after it.
 */
export async function csvWithProvenance(page: Page, click: () => Promise<void>): Promise<[Download, Download]> {
  const downloads: Download[] = []
  const collect = (d: Download) => void downloads.push(d)
  page.on('download', collect)
  await click()
  await expect.poll(() => downloads.length).toBe(2)
  page.off('download', collect)
  return [downloads[0], downloads[1]]
}
