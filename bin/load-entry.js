// @ts-check
// Runs a TypeScript entry of this package from plain Node: the bundle src-main/runtime/entry-bundle.js
// builds (rebuilt only when a source is newer), or the source through tsx where it cannot build.
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { prepareEntry } from '../src-main/runtime/entry-bundle.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** @param {string} entry path relative to the repo root, e.g. 'src-main/cli/index.ts' or 'scripts/bench-import.ts' */
export async function loadEntry(entry) {
  const { file, loader } = await prepareEntry(root, entry)
  if (loader) await import(loader)
  return import(pathToFileURL(file).href)
}
