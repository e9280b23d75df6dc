import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const APP_DIR = 'perturb-studio'

/**
 * The data folder: `--home DIR`, else `PERTURB_STUDIO_HOME`, else the OS app-data folder
 * (the same place Electron's `app.getPath('userData')` points to, so all three ways in share it).
 */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit)
  if (env.PERTURB_STUDIO_HOME) return path.resolve(env.PERTURB_STUDIO_HOME)
  switch (process.platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), APP_DIR)
    case 'darwin':
      return path.join(os.homedir(), 'Library', 'Application Support', APP_DIR)
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), APP_DIR)
  }
}

export function databasePath(home: string): string {
  return path.join(home, 'perturb-studio.sqlite')
}

let root: string | undefined

/**
 * The package root (where package.json and the built `out/` live): the nearest folder above
 * this module with our package.json. Found by walking up, because this module runs from the
 * sources, from a bundle in `.cache/` or `out/main/`, and from the packaged app.
 */
export function packageRoot(): string {
  if (root) return root
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'perturb-studio') return (root = dir)
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('perturb-studio: cannot find the package root above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}

/** The built renderer served in browser mode. */
export function rendererDir(): string {
  return process.env.PERTURB_STUDIO_RENDERER_DIR ?? path.join(packageRoot(), 'out', 'renderer')
}

/** Where built knowledge releases live (`<release>.sqlite` plus `registry.json`). */
export function knowledgeDir(home: string): string {
  return path.join(home, 'knowledge')
}

/**
 * The knowledge folder builds read the Reactome and NCBI files from: `--knowledge DIR`,
 * else `PERTURB_STUDIO_KNOWLEDGE`, else `<home>/knowledge-sources`.
 */
export function resolveKnowledgeSources(home: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit)
  if (env.PERTURB_STUDIO_KNOWLEDGE) return path.resolve(env.PERTURB_STUDIO_KNOWLEDGE)
  return path.join(home, 'knowledge-sources')
}
