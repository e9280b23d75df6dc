import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { packageRoot } from '../runtime/paths'
import { ensureRendererBuilt, rendererState, type RendererBuilder } from './renderer-build'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-ui-'))
  dirs.push(d)
  return d
}

/** A source tree with one renderer file, and the time it was written. */
function sourceTree(): { root: string; outDir: string; touch: (file: string, at: number) => void } {
  const root = tempDir()
  const touch = (file: string, at: number) => {
    const p = path.join(root, file)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    if (!fs.existsSync(p)) fs.writeFileSync(p, 'x')
    fs.utimesSync(p, at / 1000, at / 1000)
  }
  touch('src-renderer/App.vue', Date.now() - 60_000)
  return { root, outDir: path.join(root, 'out', 'renderer'), touch }
}

/** Writes an index.html naming the build, slowly, counting calls. */
function fakeBuilder(label: string, calls: { n: number }, ms = 50): RendererBuilder {
  return async (_root, outDir) => {
    calls.n++
    await new Promise((r) => setTimeout(r, ms))
    fs.mkdirSync(outDir, { recursive: true })
    fs.writeFileSync(path.join(outDir, 'index.html'), label)
  }
}

describe('the browser-mode UI build', () => {
  it('is missing, stale or fresh against its sources', () => {
    const { root, outDir, touch } = sourceTree()
    expect(rendererState(root, outDir)).toBe('missing')
    touch('out/renderer/index.html', Date.now() - 30_000)
    expect(rendererState(root, outDir)).toBe('fresh')
    touch('src-shared/contract/channels/training.ts', Date.now())
    expect(rendererState(root, outDir)).toBe('stale')
  })

  it('builds a missing UI once, even when servers start together', async () => {
    const { root, outDir } = sourceTree()
    const calls = { n: 0 }
    const results = await Promise.all([1, 2, 3].map(() => ensureRendererBuilt(root, outDir, { build: fakeBuilder('new', calls) })))
    expect(calls.n).toBe(1)
    expect(results.filter((r) => r.built)).toHaveLength(1)
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('new')
    // nothing left beside it
    expect(fs.readdirSync(path.dirname(outDir))).toEqual(['renderer'])
    const again = await ensureRendererBuilt(root, outDir, { build: fakeBuilder('newer', calls) })
    expect(again).toEqual({ state: 'fresh', built: false })
    expect(calls.n).toBe(1)
  })

  it('replaces a stale UI, and keeps it with a warning when the rebuild fails', async () => {
    const { root, outDir, touch } = sourceTree()
    touch('out/renderer/index.html', Date.now() - 120_000)
    const calls = { n: 0 }
    const rebuilt = await ensureRendererBuilt(root, outDir, { build: fakeBuilder('rebuilt', calls) })
    expect(rebuilt).toEqual({ state: 'stale', built: true })
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('rebuilt')

    touch('src-renderer/App.vue', Date.now() + 60_000)
    const failing: RendererBuilder = async () => {
      throw new Error("Cannot find package 'vite'")
    }
    const kept = await ensureRendererBuilt(root, outDir, { build: failing })
    expect(kept.built).toBe(false)
    expect(kept.warning).toMatch(/older than its sources.*Cannot find package 'vite'.*npm run build:renderer/)
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).toBe('rebuilt')
  })

  it('says what to run when there is no UI and it cannot be built', async () => {
    const { root, outDir } = sourceTree()
    const failing: RendererBuilder = async () => {
      throw new Error("Cannot find package 'vite'")
    }
    await expect(ensureRendererBuilt(root, outDir, { build: failing })).rejects.toThrow(/has not been built.*npm run build:renderer/)
    expect(fs.existsSync(outDir)).toBe(false)
  })

  it('builds the real UI with vite', async () => {
    const outDir = path.join(tempDir(), 'renderer')
    const r = await ensureRendererBuilt(packageRoot(), outDir)
    expect(r).toEqual({ state: 'missing', built: true })
    const html = fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')
    expect(html).toMatch(/<script[^>]+src="\.\/assets\/index-[^"]+\.js"/)
    expect(fs.readdirSync(path.join(outDir, 'assets')).some((f) => f.endsWith('.js'))).toBe(true)
  }, 120_000)
})
