import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { trainSetupSchema } from '../../src-shared/contract'
import { tempHome } from '../test-support/temp-home'
import { openDatabase, type Db } from './database'
import { DatasetsRepo } from './datasets-repo'
import { ProjectsRepo } from './projects-repo'
import { RunsRepo } from './runs-repo'

let home: ReturnType<typeof tempHome>
let db: Db
let repo: RunsRepo
let projectId: number
let datasetId: number

const setup = (model = 'gears') => trainSetupSchema.parse({ datasetId, model, epochs: 3 })
const val = { mse: 1, pearson: 0.5, mse_de: 0.4, pearson_de: 0.3, pearson_delta: 0.2, pearson_delta_de: 0.1, pearson_delta_centroid: 0.05, frac_opposite_direction_top20_non_dropout: 0, mse_top20_de_non_dropout: 0.3, frac_in_range_45_55: 0.2 }

beforeEach(() => {
  home = tempHome('ps-runs-repo-')
  db = openDatabase(path.join(home.dir, 'db.sqlite'))
  projectId = new ProjectsRepo(db).create('p').id
  const ds = new DatasetsRepo(db).insert({ projectId, name: 'd', sourcePath: '/x.h5ad', format: 'h5ad', storageDir: 'datasets/1', summary: {} as never })
  datasetId = ds.summary.datasetId
  repo = new RunsRepo(db)
})
afterEach(() => {
  db.close()
  home.cleanup()
})

describe('RunsRepo', () => {
  it('stores a run queued with its config and lists it by project and dataset, baselines optional', () => {
    const a = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: 'first', config: setup(), splitKey: 'k', owner: 'h:1' })
    repo.insert({ projectId, datasetId, model: 'train_mean', kind: 'baseline', name: null, config: setup('train_mean'), splitKey: 'k', owner: 'h:1' })
    expect(a).toMatchObject({ status: 'queued', model: 'gears', name: 'first', epochsDone: 0, hasCheckpoint: false, owner: 'h:1' })
    expect(a.config.epochs).toBe(3)
    expect(repo.list({ projectId }).map((r) => r.model)).toEqual(['train_mean', 'gears'])
    expect(repo.list({ datasetId, includeBaselines: false }).map((r) => r.model)).toEqual(['gears'])
    expect(repo.list({ projectId: projectId + 1 })).toEqual([])
    expect(repo.baselines(datasetId, 'k').map((r) => r.model)).toEqual(['train_mean'])
    expect(repo.baselines(datasetId, 'other')).toEqual([])
  })

  it('records running, epochs with the best marked, and the final evaluation', () => {
    const { id } = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' })
    repo.markRunning(id, 'h:1', { backend: 'cpu', engineBackend: 'cpu', device: 'x', versions: { tfjs: '4', backendPackage: null }, customKernels: [], fallbacks: [{ backend: 'wasm', reason: 'no' }] })
    repo.addEpoch(id, { epoch: 1, seconds: 2, losses: { total: 1 }, val, lr: 1e-3 }, true)
    repo.addEpoch(id, { epoch: 2, seconds: 2, losses: { total: 0.5 }, val: { ...val, mse_de: NaN }, lr: 5e-4 }, false)
    const test = { overall: { ...val, n: 3, mse_de_norm: 0.9 }, groups: { unseen_single: { ...val, n: 3, mse_de_norm: 0.9 } }, perCondition: {} }
    repo.finish(id, { status: 'completed', test })
    const r = repo.get(id)!
    expect(r).toMatchObject({ status: 'completed', bestEpoch: 1, epochsDone: 2, error: null })
    expect(r.backend?.fallbacks).toEqual([{ backend: 'wasm', reason: 'no' }])
    expect(r.startedAt).not.toBeNull()
    expect(r.finishedAt).not.toBeNull()
    expect(r.test).toEqual(test)
    const epochs = repo.epochs(id)
    expect(epochs.map((e) => [e.epoch, e.lr])).toEqual([[1, 1e-3], [2, 5e-4]])
    // A NaN metric is stored as null rather than failing the write.
    expect(epochs[1].val.mse_de).toBeNull()
    repo.dropEpochsAfter(id, 1)
    expect(repo.epochs(id).map((e) => e.epoch)).toEqual([1])
  })

  it('keeps only the best and the latest checkpoint and reports files nothing refers to any more', () => {
    const { id } = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' })
    const cp = (epoch: number, isBest: boolean, file: string | null) => repo.addCheckpoint({ runId: id, epoch, sha256: `s${epoch}`, bytes: 10, blob: file ? null : Buffer.from([epoch]), filePath: file, isBest })
    expect(cp(1, true, 'checkpoints/a.bin')).toEqual([])
    // epoch 1 is neither the best nor the latest any more
    expect(cp(2, true, 'checkpoints/b.bin')).toEqual(['checkpoints/a.bin'])
    expect(cp(3, false, null)).toEqual([])
    // epoch 3 (inline) goes when 4 arrives; the best (2) stays
    expect(cp(4, false, null)).toEqual([])
    expect(repo.checkpoints(id).map((c) => [c.epoch, c.isBest])).toEqual([[2, true], [4, false]])
    expect(repo.get(id)!.hasCheckpoint).toBe(true)
  })

  it('deletes a run with its epochs and checkpoints; a file another run shares is kept', () => {
    const a = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' }).id
    const b = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' }).id
    repo.addEpoch(a, { epoch: 1, seconds: 1, losses: {}, val, lr: 1 }, true)
    repo.addCheckpoint({ runId: a, epoch: 1, sha256: 'same', bytes: 1, blob: null, filePath: 'checkpoints/same.bin', isBest: true })
    repo.addCheckpoint({ runId: a, epoch: 2, sha256: 'own', bytes: 1, blob: null, filePath: 'checkpoints/own.bin', isBest: false })
    repo.addCheckpoint({ runId: b, epoch: 1, sha256: 'same', bytes: 1, blob: null, filePath: 'checkpoints/same.bin', isBest: true })
    expect(repo.delete(a)).toEqual({ deleted: true, files: ['checkpoints/own.bin'] })
    expect(repo.get(a)).toBeUndefined()
    expect(db.prepare('SELECT count(*) FROM epoch_metrics WHERE run_id = ?').pluck().get(a)).toBe(0)
    expect(repo.delete(a)).toEqual({ deleted: false, files: [] })
  })

  it('lists active runs and requeues a failed one with its error cleared', () => {
    const { id } = repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' })
    expect(repo.active().map((r) => r.id)).toEqual([id])
    repo.finish(id, { status: 'failed', error: { code: 'train.worker-crashed', message: 'boom' } })
    expect(repo.get(id)).toMatchObject({ status: 'failed', error: 'boom', errorCode: 'train.worker-crashed' })
    expect(repo.active()).toEqual([])
    repo.requeue(id, 'h:2')
    expect(repo.get(id)).toMatchObject({ status: 'queued', error: null, errorCode: null, owner: 'h:2', finishedAt: null })
  })

  it('runs of a deleted dataset go with it (migration 2 keeps the cascade)', () => {
    repo.insert({ projectId, datasetId, model: 'gears', kind: 'model', name: null, config: setup(), splitKey: 'k', owner: 'h:1' })
    new DatasetsRepo(db).delete(datasetId)
    expect(repo.list({})).toEqual([])
    expect(fs.existsSync(path.join(home.dir, 'db.sqlite'))).toBe(true)
  })
})
