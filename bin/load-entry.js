// Runs a TypeScript entry of src-main from plain Node. The sources are bundled with esbuild
// (packages stay external) into .cache/entries/ and rebuilt only when a source file is newer.
// Why not tsx alone: its loader transforms every imported file, and for h5wasm's 4 MB module
// that costs ~600 MB of memory per process. tsx stays the fallback where the cache is not writable.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sourceDirs = ['src-main', 'src-shared', 'scripts'].map((d) => path.join(root, d))

function newestSource(dir) {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs)
  }
  return newest
}

/** @param {string} entry path relative to the repo root, e.g. 'src-main/cli/index.ts' or 'scripts/bench-import.ts' */
export async function loadEntry(entry) {
  const out = path.join(root, '.cache', 'entries', entry.replace(/\.ts$/, '.mjs'))
  try {
    const built = fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0
    const stale = built === 0 || Math.max(fs.statSync(path.join(root, 'package.json')).mtimeMs, ...sourceDirs.map(newestSource)) > built
    if (stale) {
      const esbuild = await import('esbuild')
      // Written beside the target and renamed, so processes starting together never read half a file.
      const tmp = `${out}.${process.pid}.tmp`
      await esbuild.build({
        entryPoints: [path.join(root, entry)],
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
    return await import(pathToFileURL(out).href)
  } catch (err) {
    if (err && (err.code === 'EACCES' || err.code === 'EROFS')) {
      const { register } = await import('tsx/esm/api')
      register()
      return import(pathToFileURL(path.join(root, entry)).href)
    }
    throw err
  }
}
