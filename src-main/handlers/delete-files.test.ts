import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppContext, type AppContext } from '../app-context'
import type { GiMap, GiMapSummary } from '../../src-shared/contract'
import { call as callOn } from '../test-support/app'
import { tempHome } from '../test-support/temp-home'

let home: ReturnType<typeof tempHome> | undefined
let ctx: AppContext | undefined
afterEach(() => {
  ctx?.close()
  home?.cleanup()
  ctx = home = undefined
})

const call = <T>(channel: string, input: unknown) => callOn<T>(ctx!, channel, input)

const now = new Date().toISOString()

/** A project with one dataset imported from a browser upload and one finished run, made as rows (no training needed). */
function project(name: string, batch: string) {
  const db = ctx!.db
  const projectId = Number(db.prepare('INSERT INTO projects (name, created_at, updated_at) VALUES (?, ?, ?)').run(name, now, now).lastInsertRowid)
  const upload = path.join(home!.dir, 'uploads', batch, 'screen.h5ad')
  fs.mkdirSync(path.dirname(upload), { recursive: true })
  fs.writeFileSync(upload, 'uploaded bytes')
  const storage = path.join('datasets', `ds-${name}`)
  fs.mkdirSync(path.join(home!.dir, storage), { recursive: true })
  const datasetId = Number(
    db.prepare("INSERT INTO datasets (project_id, name, source_path, format, summary_json, storage_dir, created_at) VALUES (?, ?, ?, 'h5ad', '{}', ?, ?)").run(projectId, name, upload, storage, now).lastInsertRowid,
  )
  const runId = Number(db.prepare("INSERT INTO runs (project_id, dataset_id, model, status, created_at) VALUES (?, ?, 'gears', 'completed', ?)").run(projectId, datasetId, now).lastInsertRowid)
  return { projectId, datasetId, runId, upload }
}

/** Stores a (tiny) pair map of the run as design:map does and returns its files. */
function storeMap(runId: number, projectId: number): { mapId: number; files: string[] } {
  const store = ctx!.services.design.store
  const mapId = store.nextId()
  store.save({ mapId, runId, name: null, model: 'gears', datasetId: 1, datasetName: 'x', origin: 'typed', geneCount: 2, pairCount: 1, scope: 'seen', seconds: 0, createdAt: now, source: { projectId } } as unknown as GiMap)
  const dir = path.join(home!.dir, 'design-maps')
  return { mapId, files: [path.join(dir, `map-${mapId}.json.gz`), path.join(dir, `map-${mapId}.summary.json`)] }
}

function open() {
  home = tempHome('ps-delete-files-')
  ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
}

describe('deletes remove the files of what they cascade to', () => {
  it('run:delete removes its pair maps, and design:maps lists only maps of existing runs', async () => {
    open()
    const a = project('a', 'a'.repeat(16))
    const other = ctx!.db.prepare("INSERT INTO runs (project_id, dataset_id, model, status, created_at) VALUES (?, ?, 'gears', 'completed', ?)").run(a.projectId, a.datasetId, now)
    const kept = storeMap(Number(other.lastInsertRowid), a.projectId)
    const gone = storeMap(a.runId, a.projectId)
    expect((await call<GiMapSummary[]>('design:maps', {})).map((m) => m.mapId).sort()).toEqual([kept.mapId, gone.mapId].sort())

    await call('run:delete', { id: a.runId })
    for (const f of gone.files) expect(fs.existsSync(f)).toBe(false)
    for (const f of kept.files) expect(fs.existsSync(f)).toBe(true)
    expect((await call<GiMapSummary[]>('design:maps', {})).map((m) => m.mapId)).toEqual([kept.mapId])
    const r = await ctx!.router.dispatch('design:get', { mapId: gone.mapId })
    expect(r.ok).toBe(false)
  })

  it('dataset:delete removes its upload (unless another dataset uses it) and its runs\' maps', async () => {
    open()
    const a = project('a', 'b'.repeat(16))
    const map = storeMap(a.runId, a.projectId)
    await call('dataset:delete', { id: a.datasetId })
    expect(fs.existsSync(path.dirname(a.upload))).toBe(false)
    for (const f of map.files) expect(fs.existsSync(f)).toBe(false)
    expect(await call<GiMapSummary[]>('design:maps', {})).toEqual([])
  })

  it('project:delete removes exports kept under exports/, uploads, maps and stored arrays', async () => {
    open()
    const a = project('a', 'c'.repeat(16))
    const b = project('b', 'd'.repeat(16))
    const mapA = storeMap(a.runId, a.projectId)
    const mapB = storeMap(b.runId, b.projectId)
    const bytes = new TextEncoder().encode('gene,value\nA,1\n')
    const exA = await ctx!.services.exports.save({ kind: 'table', format: 'csv', fileName: 'a.csv', bytes, projectId: a.projectId, runId: a.runId })
    const exB = await ctx!.services.exports.save({ kind: 'table', format: 'csv', fileName: 'b.csv', bytes, projectId: b.projectId, runId: b.runId })
    // A file the user chose to write elsewhere is theirs: kept.
    const chosen = path.join(home!.dir, 'mine.csv')
    ctx!.services.exports.writeTo(chosen, { kind: 'table', format: 'csv', fileName: 'mine.csv', bytes, projectId: a.projectId, runId: null })

    await call('project:delete', { id: a.projectId })
    expect(fs.existsSync(exA.path!)).toBe(false)
    expect(fs.existsSync(path.dirname(exA.path!))).toBe(false)
    expect(fs.existsSync(chosen)).toBe(true)
    expect(fs.existsSync(path.dirname(a.upload))).toBe(false)
    expect(fs.existsSync(path.join(home!.dir, 'datasets', 'ds-a'))).toBe(false)
    for (const f of mapA.files) expect(fs.existsSync(f)).toBe(false)
    // The other project's files stay.
    expect(fs.existsSync(exB.path!)).toBe(true)
    expect(fs.existsSync(b.upload)).toBe(true)
    for (const f of mapB.files) expect(fs.existsSync(f)).toBe(true)
    expect((await call<GiMapSummary[]>('design:maps', {})).map((m) => m.mapId)).toEqual([mapB.mapId])
  })

  it('records maps stored before migration 6 at start, and removes those of deleted runs', async () => {
    open()
    const a = project('a', 'e'.repeat(16))
    const live = storeMap(a.runId, a.projectId)
    const orphan = storeMap(a.runId, a.projectId)
    // As an older version left them: files without rows, one naming a run that no longer exists.
    ctx!.db.prepare('DELETE FROM design_maps').run()
    fs.writeFileSync(orphan.files[1], JSON.stringify({ mapId: orphan.mapId, runId: 999 }))
    ctx!.close()
    ctx = createAppContext({ home: home!.dir, transport: 'cli', log: () => undefined })
    expect((await call<GiMapSummary[]>('design:maps', {})).map((m) => m.mapId)).toEqual([live.mapId])
    for (const f of orphan.files) expect(fs.existsSync(f)).toBe(false)
  })
})
