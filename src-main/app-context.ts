import { openDatabase, LATEST_SCHEMA_VERSION, type Db } from './db/database'
import { ProjectsRepo } from './db/projects-repo'
import { databasePath, resolveHome } from './paths'
import { createRouter, type Router } from './router'
import { EventBus } from './event-bus'
import { ProjectsService } from './services/projects'
import { APP_VERSION } from './version'
import fs from 'node:fs'

export interface AppContextOptions {
  home?: string
  transport: 'desktop' | 'browser' | 'cli'
  /** Electron passes the Electron-ABI build of better-sqlite3. */
  nativeBinding?: string
  log?: (message: string) => void
}

export interface AppContext {
  home: string
  db: Db
  events: EventBus
  router: Router
  services: { projects: ProjectsService }
  close(): void
}

/** Wires the one core (database, services, router, events) used by every way in. */
export function createAppContext(options: AppContextOptions): AppContext {
  const home = resolveHome(options.home)
  fs.mkdirSync(home, { recursive: true })
  const db = openDatabase(databasePath(home), { nativeBinding: options.nativeBinding })
  const events = new EventBus()
  const projects = new ProjectsService(new ProjectsRepo(db))
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`))

  const router = createRouter(
    {
      'app:info': () => ({
        version: APP_VERSION,
        home,
        transport: options.transport === 'desktop' ? 'desktop' : 'browser',
        schemaVersion: LATEST_SCHEMA_VERSION,
      }),
      'project:list': () => projects.list(),
      'project:get': ({ id }) => projects.get(id),
      'project:create': ({ name }) => {
        const p = projects.create(name)
        events.emit('project:changed', { projectId: p.id })
        return p
      },
      'project:rename': ({ id, name }) => {
        const p = projects.rename(id, name)
        events.emit('project:changed', { projectId: p.id })
        return p
      },
      'project:delete': ({ id }) => {
        const r = projects.delete(id)
        events.emit('project:changed', { projectId: null })
        return r
      },
    },
    { onInternalError: (channel, err) => log(`[${channel}] ${(err as Error)?.stack ?? String(err)}`) },
  )

  return {
    home,
    db,
    events,
    router,
    services: { projects },
    close: () => db.close(),
  }
}
