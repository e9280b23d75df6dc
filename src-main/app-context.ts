import fs from 'node:fs'
import type { CoreDeps, Services } from './core-deps'
import { openDatabase } from './db/database'
import { ProjectsRepo } from './db/projects-repo'
import { EventBus } from './event-bus'
import { appHandlers } from './handlers/app'
import { projectHandlers } from './handlers/projects'
import { databasePath, resolveHome } from './paths'
import { createRouter, type Router } from './router'
import { ProjectsService } from './services/projects'

export interface AppContextOptions {
  home?: string
  transport: CoreDeps['transport']
  /** Electron passes the Electron-ABI build of better-sqlite3. */
  nativeBinding?: string
  log?: (message: string) => void
}

export interface AppContext extends CoreDeps {
  router: Router
  close(): void
}

/** Wires the one core (database, services, router, events) used by every way in. */
export function createAppContext(options: AppContextOptions): AppContext {
  const home = resolveHome(options.home)
  fs.mkdirSync(home, { recursive: true })
  const db = openDatabase(databasePath(home), { nativeBinding: options.nativeBinding })
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`))

  const services: Services = {
    projects: new ProjectsService(new ProjectsRepo(db)),
  }
  const deps: CoreDeps = { home, transport: options.transport, db, events: new EventBus(), services }

  const router = createRouter(
    {
      ...appHandlers(deps),
      ...projectHandlers(deps),
    },
    { onInternalError: (channel, err) => log(`[${channel}] ${(err as Error)?.stack ?? String(err)}`) },
  )

  return { ...deps, router, close: () => db.close() }
}
