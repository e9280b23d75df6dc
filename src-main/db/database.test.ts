import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempHome } from '../test-support/temp-home'
import { LATEST_SCHEMA_VERSION, openDatabase } from './database'
import { migrations, type Migration } from './migrations'
import { ProjectsRepo } from './projects-repo'

let home: ReturnType<typeof tempHome>
afterEach(() => home?.cleanup())

function file() {
  home = tempHome()
  return path.join(home.dir, 'db.sqlite')
}

describe('openDatabase', () => {
  it('creates the schema with WAL and foreign keys on', () => {
    const db = openDatabase(file())
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((t) => t.name)
    expect(tables).toEqual(expect.arrayContaining(['projects', 'datasets', 'runs', 'epoch_metrics', 'checkpoints', 'predictions', 'exports']))
    db.close()
  })

  it('refuses a database from a newer version and leaves it untouched', () => {
    const f = file()
    const raw = new Database(f)
    raw.exec('CREATE TABLE future (x)')
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`)
    raw.close()
    const before = fs.readFileSync(f)
    expect(() => openDatabase(f)).toThrow(/newer version of Perturb Studio/)
    try {
      openDatabase(f)
    } catch (err) {
      expect((err as { code: string }).code).toBe('db.too-new')
    }
    expect(fs.readFileSync(f).equals(before)).toBe(true)
  })

  it('migrates an older database and keeps its data', () => {
    const f = file()
    const v1 = openDatabase(f, { migrations: migrations.slice(0, 1) })
    // Written with the v1 schema's own SQL: the repositories read the newest schema (runs.kind …).
    const now = new Date().toISOString()
    v1.prepare("INSERT INTO projects (name, created_at, updated_at) VALUES ('kept', ?, ?)").run(now, now)
    v1.close()
    const next: Migration = { version: LATEST_SCHEMA_VERSION + 1, name: 'test', sql: 'ALTER TABLE projects ADD COLUMN note TEXT' }
    const db = openDatabase(f, { migrations: [...migrations, next] })
    expect(db.pragma('user_version', { simple: true })).toBe(next.version)
    expect(db.prepare('SELECT name, note FROM projects').all()).toEqual([{ name: 'kept', note: null }])
    db.close()
  })

  it('rolls a failing migration back completely', () => {
    const f = file()
    openDatabase(f).close()
    const broken: Migration = { version: LATEST_SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);' }
    expect(() => openDatabase(f, { migrations: [...migrations, broken] })).toThrow(/Nothing was changed/)
    const db = new Database(f)
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name='half'").get()).toEqual({ n: 0 })
    db.close()
  })

  it('says clearly when the file is not a database', () => {
    const f = file()
    fs.writeFileSync(f, 'this is a text file, not SQLite '.repeat(100))
    expect(() => openDatabase(f)).toThrow(expect.objectContaining({ code: 'db.corrupt' }))
  })

  it('stays consistent when the process dies in the middle of a write', async () => {
    const f = file()
    openDatabase(f).close()
    // A child opens the database, starts a big transaction and is killed before it commits.
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(f)});
      db.pragma('journal_mode = WAL');
      const now = new Date().toISOString();
      db.prepare('INSERT INTO projects (name, created_at, updated_at) VALUES (?, ?, ?)').run('committed', now, now);
      db.exec('BEGIN');
      const ins = db.prepare('INSERT INTO projects (name, created_at, updated_at) VALUES (?, ?, ?)');
      for (let i = 0; i < 20000; i++) ins.run('uncommitted ' + i, now, now);
      process.stdout.write('ready');
      setInterval(() => {}, 1000);`
    const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const db = openDatabase(f)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect((db.prepare('SELECT name FROM projects').all() as { name: string }[]).map((r) => r.name)).toEqual(['committed'])
    db.close()
  })
})

describe('ProjectsRepo', () => {
  it('creates, lists, renames and deletes with cascade to datasets and runs', () => {
    const db = openDatabase(file())
    const repo = new ProjectsRepo(db)
    const a = repo.create('A')
    const b = repo.create('B')
    const now = new Date().toISOString()
    const ds = db.prepare("INSERT INTO datasets (project_id, name, format, created_at) VALUES (?, 'd', 'h5ad', ?)").run(a.id, now)
    // Baselines fitted first take run ids too; they are listed with their model, not as the project's runs.
    for (const baseline of ['no_perturb', 'train_mean', 'additive', 'knowledge_prior']) {
      db.prepare("INSERT INTO runs (project_id, dataset_id, model, kind, status, created_at) VALUES (?, ?, ?, 'baseline', 'completed', ?)").run(a.id, ds.lastInsertRowid, baseline, now)
    }
    db.prepare("INSERT INTO runs (project_id, dataset_id, model, status, created_at) VALUES (?, ?, 'gears', 'completed', ?)").run(a.id, ds.lastInsertRowid, now)
    expect(repo.get(a.id)).toMatchObject({ datasetCount: 1, runCount: 1 })
    expect(repo.recentRuns(a.id)).toMatchObject([{ model: 'gears', status: 'completed', number: 1 }])
    expect(repo.recentRuns(a.id)[0].id).toBe(5)
    expect(repo.rename(b.id, 'B2')?.name).toBe('B2')
    expect(repo.rename(999, 'x')).toBeUndefined()
    expect(repo.delete(a.id)).toBe(true)
    expect(db.prepare('SELECT count(*) AS n FROM datasets').get()).toEqual({ n: 0 })
    expect(db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 })
    expect(repo.list().map((p) => p.name)).toEqual(['B2'])
    expect(() => db.prepare("INSERT INTO projects (name, created_at, updated_at) VALUES ('  ', ?, ?)").run(now, now)).toThrow(/CHECK/)
    db.close()
  })
})
