/**
 * Browser mode serves the built renderer (out/renderer). `npm start` builds it, but
 * `perturb-studio serve` run on its own — right after `npm install`, or after an update of the
 * sources — would serve nothing (a 503) or yesterday's screens against today's core. So `serve`
 * builds the UI first when it is missing or older than its sources (a few seconds with vite).
 *
 * The build goes to a folder beside the target and is swapped in, and a lock file keeps servers
 * starting together (the e2e suite's workers) from building over each other.
 */
import fs from 'node:fs'
import path from 'node:path'
import { atomicTarget } from '../io/atomic-write'
import { buildState, type BuildState } from '../runtime/entry-bundle.js'

export type RendererState = BuildState

/** What the UI is built from: a change to any of these makes the build stale. */
const SOURCES = ['src-renderer', 'src-shared', 'vite.renderer.config.ts', 'package.json']

/** Whether `outDir` holds a build at least as new as the sources under `root`. */
export function rendererState(root: string, outDir: string): RendererState {
  // A packaged app ships the build without its sources: nothing to compare with, so it is fresh.
  return buildState(path.join(outDir, 'index.html'), SOURCES.map((s) => path.join(root, s)))
}

/** Builds the renderer into `outDir` (the folder is replaced as a whole). */
export type RendererBuilder = (root: string, outDir: string) => Promise<void>

/** The real build: vite with the renderer config the desktop build uses. */
export const viteBuild: RendererBuilder = async (root, outDir) => {
  // vite is a development tool of the source install; loaded only when a build is needed.
  const vite = await import('vite')
  await vite.build({ configFile: path.join(root, 'vite.renderer.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } })
}

export interface EnsureResult {
  state: RendererState
  /** true when this call built it */
  built: boolean
  /** set when a stale build is served because it could not be rebuilt */
  warning?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Makes sure `outDir` holds a current build. A missing build that cannot be made throws with what
 * to run; a stale one that cannot be rebuilt is kept, with a warning.
 */
export async function ensureRendererBuilt(root: string, outDir: string, options: { build?: RendererBuilder; info?: (line: string) => void; lockWaitMs?: number } = {}): Promise<EnsureResult> {
  const build = options.build ?? viteBuild
  const before = rendererState(root, outDir)
  if (before === 'fresh') return { state: before, built: false }
  const lock = `${outDir}.build-lock`
  const waitUntil = Date.now() + (options.lockWaitMs ?? 120_000)
  try {
    fs.mkdirSync(path.dirname(outDir), { recursive: true })
    // Someone else is building: wait for them, then look again.
    for (;;) {
      try {
        fs.closeSync(fs.openSync(lock, 'wx'))
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        // A lock left by a killed process is ignored once the wait is over.
        if (Date.now() > waitUntil) {
          fs.rmSync(lock, { force: true })
          continue
        }
        await sleep(200)
      }
    }
    try {
      const state = rendererState(root, outDir)
      if (state === 'fresh') return { state: before, built: false }
      options.info?.(state === 'missing' ? 'Building the user interface (first start)…' : 'Rebuilding the user interface (its sources changed since the last build)…')
      const out = atomicTarget(outDir)
      try {
        await build(root, out.tmp)
        if (!fs.existsSync(path.join(out.tmp, 'index.html'))) throw new Error('the build wrote no index.html')
        out.commit()
      } finally {
        out.abort()
      }
      return { state: before, built: true }
    } finally {
      fs.rmSync(lock, { force: true })
    }
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
    if (before === 'stale') return { state: before, built: false, warning: `The user interface in ${outDir} is older than its sources and could not be rebuilt (${why}); serving it as it is. Run: npm run build:renderer` }
    throw Object.assign(new Error(`The user interface has not been built and could not be built here (${why}). Run: npm run build:renderer`), { cause: err })
  }
}
