/**
 * Finds (or builds) the script the training worker runs. `new Worker()` needs a file Node can load
 * as is, wherever the core itself was loaded from:
 *  - the electron-vite build emits `worker.js` next to the main bundle (out/main/; this module
 *    may be in a shared chunk one folder down);
 *  - the CLI and benchmarks run from esbuild bundles in .cache/entries/, and vitest runs the TS
 *    sources: both get `.cache/entries/src-main/ml/worker.mjs`, built here with the same esbuild
 *    settings as bin/load-entry.js and rebuilt when a source file is newer;
 *  - where the cache is not writable, the TS entry runs through tsx's loader (slower start).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { newestMtime } from '../newest-mtime'
import { packageRoot } from '../runtime/paths'

export interface WorkerScript {
  file: string
  execArgv?: string[]
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
  const root = packageRoot()
  const source = path.join(root, entry)
  const out = path.join(root, '.cache', 'entries', entry.replace(/\.ts$/, '.mjs'))
  try {
    if (isStale(root, out)) await bundle(source, out)
    return { file: out }
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EACCES' || code === 'EROFS' || code === 'ERR_MODULE_NOT_FOUND') {
      return { file: source, execArgv: ['--import', pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href] }
    }
    throw err
  }
}

function isStale(root: string, out: string): boolean {
  if (!fs.existsSync(out)) return true
  const builtAt = fs.statSync(out).mtimeMs
  const newest = Math.max(fs.statSync(path.join(root, 'package.json')).mtimeMs, ...['src-main', 'src-shared'].map((d) => newestMtime(path.join(root, d), (name) => name.endsWith('.ts'))))
  return newest > builtAt
}

async function bundle(source: string, out: string): Promise<void> {
  // esbuild is a build-time tool (a dependency of the electron-vite toolchain): loaded only here.
  const esbuild = await import('esbuild')
  fs.mkdirSync(path.dirname(out), { recursive: true })
  // Written beside the target and renamed, so processes starting together never load half a file.
  const tmp = `${out}.${process.pid}.tmp`
  await esbuild.build({
    entryPoints: [source],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  })
  fs.renameSync(tmp, out)
}
