import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A fresh data folder per test, removed afterwards. */
export function tempHome(prefix = 'ps-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')
export const SHARED_DIR = path.resolve(REPO_ROOT, '..', 'shared')
