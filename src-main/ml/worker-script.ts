/**
 * Finds (or builds) the script the training worker runs. `new Worker()` needs a file Node can load
 * as is, wherever the core itself was loaded from:
 *  - the electron-vite build emits `worker.js` next to the main bundle (out/main/; this module
 *    may be in a shared chunk one folder down);
 *  - the CLI and benchmarks run from esbuild bundles in .cache/entries/, and vitest runs the TS
 *    sources: both get `.cache/entries/src-main/ml/worker.mjs`, built as bin/load-entry.js builds
 *    its entries (runtime/entry-bundle.js), tsx's loader included where the cache is not writable.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareEntry } from '../runtime/entry-bundle.js'
import { packageRoot } from '../runtime/paths'

export interface WorkerScript {
  file: string
  execArgv?: string[]
  /** appended to the worker's process.argv (the script's own options) */
  argv?: string[]
}

const DEFAULT_ENTRY = 'src-main/ml/worker.ts'
const built = new Map<string, Promise<WorkerScript>>()

/** @param entry repo-relative TS entry; tests pass a worker with a scripted trainer */
export function resolveWorkerScript(entry = DEFAULT_ENTRY): Promise<WorkerScript> {
  let p = built.get(entry)
  if (!p) {
    p = locate(entry)
    built.set(entry, p)
    // A failed build is retried on the next call rather than remembered.
    p.catch(() => built.delete(entry))
  }
  return p
}

async function locate(entry: string): Promise<WorkerScript> {
  const here = path.dirname(fileURLToPath(import.meta.url))
  if (entry === DEFAULT_ENTRY && !import.meta.url.endsWith('.ts')) {
    // This code may sit in a chunk the main bundle and the worker share (out/main/chunks/).
    for (const dir of [here, path.dirname(here)]) {
      for (const name of ['worker.js', 'worker.mjs']) {
        const sibling = path.join(dir, name)
        if (fs.existsSync(sibling)) return { file: sibling }
      }
    }
  }
  const { file, loader } = await prepareEntry(packageRoot(), entry)
  return loader ? { file, execArgv: ['--import', loader] } : { file }
}
