// @ts-check
/**
 * Builds made at run time, checked and written in one place. Plain JavaScript with JSDoc types:
 * bin/load-entry.js runs it from plain Node before any TypeScript is built, and the core (the
 * worker lookup, browser mode's UI build) imports it like any module.
 *
 * A TypeScript entry (the CLI, a benchmark, the engine's worker) is bundled with esbuild (packages
 * stay external) into .cache/entries/ and rebuilt only when a source is newer than the bundle.
 * Why not tsx alone: its loader transforms every imported file, and for h5wasm's 4 MB module that
 * costs ~600 MB of memory per process. tsx stays the fallback where the cache is not writable.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** What every entry is built from, relative to the package root. */
const CORE_SOURCES = ['package.json', 'src-main', 'src-shared']

/**
 * When a build's sources last changed: the modification time (ms) of a file, or the newest of the
 * files under a folder whose names `accept` takes (node_modules and dot-folders skipped); 0 when
 * there is none.
 * @param {string} p
 * @param {(name: string) => boolean} [accept]
 * @returns {number}
 */
export function newestMtime(p, accept = () => true) {
  if (!fs.existsSync(p)) return 0
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = 0
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const child = path.join(p, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(child, accept))
    else if (accept(e.name)) newest = Math.max(newest, fs.statSync(child).mtimeMs)
  }
  return newest
}

/** @typedef {'missing' | 'stale' | 'fresh'} BuildState */

/**
 * Whether the build `output` (a file) is missing, or older than any of `sources` (files or folders).
 * Sources that are not there (a packaged app ships builds without them) count as never changed.
 * @param {string} output
 * @param {readonly string[]} sources
 * @param {(name: string) => boolean} [accept] which files under a source folder count
 * @returns {BuildState}
 */
export function buildState(output, sources, accept) {
  if (!fs.existsSync(output)) return 'missing'
  const newest = Math.max(0, ...sources.map((s) => newestMtime(s, accept)))
  return newest > fs.statSync(output).mtimeMs ? 'stale' : 'fresh'
}

/**
 * The sources an entry is checked against, relative to the package root: the core's, plus the
 * entry's own top folder when it lives outside them (a benchmark's scripts/). The shipped CLI
 * is not rebuilt for a change under scripts/.
 * @param {string} entry repo-relative, e.g. 'src-main/cli/index.ts' or 'scripts/bench-import.ts'
 * @returns {string[]}
 */
export function entrySources(entry) {
  const top = entry.split(/[\\/]/)[0]
  return CORE_SOURCES.includes(top) ? CORE_SOURCES : [...CORE_SOURCES, top]
}

/**
 * How to run an entry: `file` is the bundle, or, where it could not be built, the TypeScript
 * source; then `loader` is tsx's ESM loader, to import first (in-process) or to pass to a new
 * thread with `--import`.
 * @typedef {{ file: string, loader?: string }} PreparedEntry
 */

/** @param {string} name */
const isSource = (name) => name.endsWith('.ts') || name.endsWith('.js')

/**
 * Finds or builds the bundle of a TypeScript entry of this package.
 * @param {string} root the package root
 * @param {string} entry repo-relative, e.g. 'src-main/cli/index.ts'
 * @returns {Promise<PreparedEntry>}
 */
export async function prepareEntry(root, entry) {
  const source = path.join(root, entry)
  const out = path.join(root, '.cache', 'entries', entry.replace(/\.ts$/, '.mjs'))
  try {
    const sources = entrySources(entry).map((s) => path.join(root, s))
    if (buildState(out, sources, isSource) !== 'fresh') await bundle(source, out)
    return { file: out }
  } catch (err) {
    // A read-only install, or esbuild not where this module can import it (tsx has its own).
    const code = /** @type {{ code?: string }} */ (err).code
    if (code === 'EACCES' || code === 'EROFS' || code === 'ERR_MODULE_NOT_FOUND') {
      return { file: source, loader: pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href }
    }
    throw err
  }
}

/**
 * @param {string} source
 * @param {string} out
 */
async function bundle(source, out) {
  // esbuild is a build-time tool (tsx and the electron-vite toolchain bring it): loaded only here.
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    entryPoints: [source],
    outfile: out,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  })
  // Written here rather than by esbuild, so a read-only cache fails with its errno (the tsx
  // fallback above); beside the target and renamed, so processes starting together never load half a file.
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const tmp = `${out}.${process.pid}.tmp`
  fs.writeFileSync(tmp, result.outputFiles[0].contents)
  fs.renameSync(tmp, out)
}
