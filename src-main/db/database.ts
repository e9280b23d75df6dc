import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { LATEST_SCHEMA_VERSION, migrations, type Migration } from './migrations'

export type Db = Database.Database

export interface OpenOptions {
  /** Migrations to apply; tests pass a longer list to exercise upgrades. */
  migrations?: Migration[]
  /** Path to an alternative native binding (the Electron-ABI build of better-sqlite3). */
  nativeBinding?: string
}

/**
 * Opens (or creates) the project database: WAL journal, foreign keys on, migrations applied
 * in one transaction each. A database written by a newer app version is refused untouched.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const list = options.migrations ?? migrations
  const latest = list.length ? list[list.length - 1].version : 0
  fs.mkdirSync(path.dirname(file), { recursive: true })

  let db: Db
  try {
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  } catch (err) {
    throw new AppError('db.unopenable', `Cannot open the database ${file}: ${(err as Error).message}. Check that the data folder is writable, or choose another with --home.`)
  }

  try {
    // Reading the header fails on a file that is not SQLite at all.
    const current = db.pragma('user_version', { simple: true }) as number
    if (current > latest) {
      throw new AppError(
        'db.too-new',
        `The database ${file} was written by a newer version of Perturb Studio (schema ${current}; this version understands up to ${latest}). ` +
          'Update Perturb Studio, or start with another data folder (--home DIR).',
      )
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')
    for (const m of list) {
      if (m.version <= current) continue
      db.transaction(() => {
        db.exec(m.sql)
        db.pragma(`user_version = ${m.version}`)
      })()
    }
    return db
  } catch (err) {
    db.close()
    if (err instanceof AppError) throw err
    const msg = (err as Error).message
    if (/not a database|file is encrypted|malformed/i.test(msg)) {
      throw new AppError('db.corrupt', `The file ${file} is not a readable Perturb Studio database (${msg}). Move it aside or choose another data folder with --home.`)
    }
    throw new AppError('db.migration-failed', `Could not prepare the database ${file}: ${msg}. Nothing was changed.`)
  }
}

export { LATEST_SCHEMA_VERSION }

/** Current time as the ISO string stored in every *_at column. */
export function nowIso(): string {
  return new Date().toISOString()
}
