// Where the Electron binary would be, without triggering electron's lazy download
// (requiring the `electron` package from Node tries to download it).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** @returns {{ path: string } | { path: null, reason: string }} */
export function findElectronBinary() {
  const pkgDir = path.join(ROOT, 'node_modules', 'electron')
  if (!fs.existsSync(pkgDir)) return { path: null, reason: 'the electron package is not installed' }
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron')
    return fs.existsSync(p) ? { path: p } : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH has no electron binary (${p})` }
  }
  const pathFile = path.join(pkgDir, 'path.txt')
  if (!fs.existsSync(pathFile)) {
    return { path: null, reason: 'the Electron binary has not been downloaded (this machine cannot reach its download server; run `npx install-electron` where it can)' }
  }
  const bin = path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim())
  return fs.existsSync(bin) ? { path: bin } : { path: null, reason: `the Electron binary is missing at ${bin}` }
}

export function electronVersion() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')).version
}
