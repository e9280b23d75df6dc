import os from 'node:os'
import path from 'node:path'

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

/** The package root (where package.json and the built `out/` live), from this source file. */
export function packageRoot(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
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
