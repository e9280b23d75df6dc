import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppError, TRAIN_BASELINES, trainSetupSchema, type TrainSetupInput } from '../../../src-shared/contract'
import { openDatabase, type Db } from '../../db/database'
import { DatasetsRepo } from '../../db/datasets-repo'
import { ProjectsRepo } from '../../db/projects-repo'
import { RunsRepo } from '../../db/runs-repo'
import { EventBus, type BusMessage } from '../../event-bus'
import type { TrainingData } from '../../ml/engine-types'
import { tempHome } from '../../test-support/temp-home'
import { fakeTrainerScript, type WorkerFault } from '../../test-support/training/fake-trainer'
import { CheckpointStore } from './checkpoint-store'
import { TrainingService } from './training-service'

/** ctrl + `perturbed` single conditions over 10 genes, 4 cells each. */
function tinyData(datasetId: number, perturbed = 5): TrainingData {
  const names = ['ctrl', ...Array.from({ length: perturbed }, (_, i) => `G${i}+ctrl`)]
  const nRows = names.length * 4
  const indptr = new Int32Array(nRows + 1).map((_, i) => i)
  return {
    datasetId,
    genes: Array.from({ length: 10 }, (_, i) => `G${i}`),
    expression: { nRows, nCols: 10, indptr, indices: new Int32Array(nRows).map((_, i) => i % 10), data: new Float32Array(nRows).fill(1) },
    conditions: names.map((condition, c) => ({ condition, genes: c === 0 ? [] : [`G${c - 1}`], cells: Int32Array.from({ length: 4 }, (_, k) => c * 4 + k), de: null })),
    controlMean: new Float32Array(10).fill(0.4),
    knowledge: { release: null, pertGenes: [], goEdges: null, mask: null },
  }
}

let home: ReturnType<typeof tempHome>
let db: Db
let repo: RunsRepo
let datasets: DatasetsRepo
let projectId: number
let datasetId: number
let services: TrainingService[]
let events: BusMessage[]
let lastData: TrainingData | null

function summary(over: Record<string, unknown> = {}) {
  return { cells: 24, genes: 10, conditions: 6, controlCells: 4, singles: 5, combos: 0, normalisation: '', hvgSelected: 0, perturbedGenesNotMeasured: [], renamedGenes: [], warnings: [], ...over } as never
}

function service(opts: { stepMs?: number; fault?: WorkerFault; owner?: string; isAlive?: (o: string) => boolean; perturbed?: number; buildError?: AppError; heartbeatMs?: number } = {}) {
  const bus = new EventBus()
  bus.subscribe((...message) => void events.push(message))
  const s = new TrainingService({
    home: home.dir,
    repo,
    datasets: { require: (id) => datasets.get(id) ?? (() => { throw new AppError('dataset.not-found', `no ${id}`) })() },
    buildData: async (id) => {
      if (opts.buildError) throw opts.buildError
      lastData = tinyData(id, opts.perturbed)
      return { data: lastData, keep: new Set([lastData.controlMean.buffer]) }
    },
    events: bus,
    workerScript: () => fakeTrainerScript({ stepMs: opts.stepMs ?? 5, fault: opts.fault }),
    owner: opts.owner,
    isAlive: opts.isAlive,
    heartbeatMs: opts.heartbeatMs,
  })
  services.push(s)
  return s
}

const setup = (over: Partial<TrainSetupInput> = {}) => trainSetupSchema.parse({ datasetId, model: 'gears', epochs: 4, batchConditions: 2, ...over })
const runEvents = (runId: number) => events.flatMap(([e, p]) => (e === 'run:changed' && p.runId === runId ? [p] : []))
const progressEvents = (runId: number) => events.flatMap(([e, p]) => (e === 'train:progress' && p.runId === runId ? [p] : []))

/** Resolves once `runId` has reported an epoch ≥ `epoch`. */
async function untilEpoch(runId: number, epoch: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (runEvents(runId).some((e) => (e.epoch?.epoch ?? 0) >= epoch)) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`run ${runId} never reached epoch ${epoch}`)
}

beforeAll(async () => {
  await fakeTrainerScript()
}, 60_000)

beforeEach(() => {
  home = tempHome('ps-training-')
  db = openDatabase(path.join(home.dir, 'db.sqlite'))
  repo = new RunsRepo(db)
  datasets = new DatasetsRepo(db)
  projectId = new ProjectsRepo(db).create('p').id
  datasetId = datasets.insert({ projectId, name: 'tiny', sourcePath: '/tiny.h5ad', format: 'h5ad', storageDir: 'datasets/x', summary: summary() }).summary.datasetId
  services = []
  events = []
  lastData = null
})

afterEach(async () => {
  await Promise.all(services.map((s) => s.close()))
  db.close()
  home.cleanup()
})

describe('TrainingService with a worker thread', () => {
  it('trains a run: queued → running → completed, epochs, best and latest checkpoints, baselines stored beside it', async () => {
    const s = service()
    const { runId } = s.start(setup())
    expect(repo.get(runId)!.status).toBe('queued')
    const done = await s.waitFor(runId)
    expect(done).toMatchObject({ status: 'completed', bestEpoch: 2, epochsDone: 4, error: null })
    expect([...new Set(runEvents(runId).map((e) => e.status))]).toEqual(['queued', 'running', 'completed'])
    expect(runEvents(runId).flatMap((e) => (e.epoch ? [e.epoch.epoch] : []))).toEqual([1, 2, 3, 4])
    const detail = s.get(runId)
    expect(detail.epochLog.map((e) => e.val.mse_de)).toEqual([0.5, 0.3, 0.4, 0.35])
    expect(detail.checkpoints.map((c) => [c.epoch, c.isBest])).toEqual([[2, true], [4, false]])
    expect(detail.backendInfo?.backend).toMatch(/wasm|cpu/)
    expect(detail.splitDetail?.test).toEqual(['G4+ctrl'])
    expect(detail.test?.groups.unseen_single?.mse_de).toBe(0.3)
    // The best checkpoint holds epoch 2's weights.
    const best = repo.checkpoints(runId).find((c) => c.isBest)!
    expect(new Float32Array(new CheckpointStore(home.dir, repo).load(best).params.data.buffer)[0]).toBe(2)
    // Baselines of the same dataset and split ran first, as runs of their own.
    const baselines = s.list({ datasetId }).filter((r) => r.kind === 'baseline')
    expect(baselines.map((r) => [r.model, r.status]).sort()).toEqual([...TRAIN_BASELINES].sort().map((b) => [b, 'completed']))
    expect(baselines.every((b) => b.id < runId)).toBe(true)
    // The data went to the worker by transfer, except buffers the dataset cache still owns.
    expect(lastData!.expression.data.byteLength).toBe(0)
    expect(lastData!.controlMean.byteLength).toBe(40)
    // A second run on the same split does not fit the baselines again.
    const second = s.start(setup({ model: 'biodsnn', epochs: 1 }))
    await s.waitFor(second.runId)
    expect(s.list({ datasetId }).filter((r) => r.kind === 'baseline')).toHaveLength(TRAIN_BASELINES.length)
  })

  it('sends at most ~10 progress events per second and the last step of every epoch', async () => {
    const s = service({ stepMs: 2, perturbed: 59 })
    const t0 = Date.now()
    const { runId } = s.start(setup({ epochs: 3 }))
    await s.waitFor(runId)
    const elapsed = Date.now() - t0
    const progress = progressEvents(runId)
    expect(progress[0].stepsPerEpoch).toBe(30)
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 3 + 1)
    for (const epoch of [1, 2, 3]) expect(progress.some((p) => p.epoch === epoch && p.step === 30)).toBe(true)
  })

  it('cancel finishes the current step, ends the run cancelled and keeps the best checkpoint', async () => {
    const s = service({ stepMs: 20 })
    const { runId } = s.start(setup({ epochs: 20 }))
    const queued = s.start(setup({ epochs: 2, seed: 2 }))
    await untilEpoch(runId, 3)
    expect(s.cancel(runId)).toEqual({ runId, status: 'running' })
    const r = await s.waitFor(runId)
    expect(r.status).toBe('cancelled')
    expect(r.error).toBeNull()
    expect(r.epochsDone).toBeGreaterThanOrEqual(3)
    expect(r.epochsDone).toBeLessThan(20)
    expect(repo.checkpoints(runId).find((c) => c.isBest)?.epoch).toBe(2)
    expect(s.list({}).find((x) => x.id === runId)?.resumable).toBe(true)
    // The run queued behind it still trains.
    expect((await s.waitFor(queued.runId)).status).toBe('completed')
  })

  it('cancels a queued run at once', async () => {
    const s = service({ stepMs: 20 })
    const first = s.start(setup({ epochs: 3 }))
    const second = s.start(setup({ epochs: 3, seed: 5 }))
    expect(s.get(second.runId).queuePosition).toBe(2)
    expect(s.cancel(second.runId)).toEqual({ runId: second.runId, status: 'cancelled' })
    expect((await s.waitFor(first.runId)).status).toBe('completed')
    expect(repo.get(second.runId)).toMatchObject({ status: 'cancelled', epochsDone: 0 })
  })

  it('a worker that exits mid-epoch fails its run with the reason; earlier checkpoints survive and the next run gets a fresh worker', async () => {
    const s = service({ fault: { kind: 'exit', epoch: 3, step: 2 } })
    const { runId } = s.start(setup({ epochs: 5 }))
    const next = s.start(setup({ epochs: 2, seed: 3 }))
    const r = await s.waitFor(runId)
    expect(r.status).toBe('failed')
    expect(r.errorCode).toBe('train.worker-crashed')
    expect(r.error).toMatch(/exited with code 70.*Epochs 1–2 and their checkpoints are kept/)
    expect(repo.checkpoints(runId).map((c) => [c.epoch, c.isBest])).toEqual([[2, true]])
    expect(new CheckpointStore(home.dir, repo).load(repo.checkpoints(runId)[0]).params.manifest.meta).toMatchObject({ epoch: 2 })
    expect((await s.waitFor(next.runId)).status).toBe('completed')
    expect(s.list({}).find((x) => x.id === runId)?.resumable).toBe(true)
  })

  it('an uncaught error in the worker fails the run with its message', async () => {
    const s = service({ fault: { kind: 'throw', epoch: 1, step: 1 } })
    const { runId } = s.start(setup())
    const r = await s.waitFor(runId)
    expect(r).toMatchObject({ status: 'failed', errorCode: 'train.worker-crashed', epochsDone: 0 })
    expect(r.error).toMatch(/injected worker crash at epoch 1/)
  })

  it('resumes after a restart: the dead process’s run becomes failed (interrupted, resumable) and continues from its last checkpoint', async () => {
    const a = service({ stepMs: 15, owner: 'host-a:111' })
    const { runId } = a.start(setup({ epochs: 6, hidden: 128 }))
    await untilEpoch(runId, 3)
    // The app dies: no close(), the worker is gone, the row still says running.
    await kill(a)
    expect(repo.get(runId)!.status).toBe('running')
    const before = repo.epochs(runId)

    const b = service({ stepMs: 15, owner: 'host-b:222', isAlive: (o) => o === 'host-b:222' })
    expect(b.recoverInterrupted()).toContain(runId)
    const failed = repo.get(runId)!
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'train.interrupted' })
    expect(failed.error).toMatch(/Interrupted after epoch \d of 6.*Resume it/)
    // Large checkpoints are files named by their hash.
    expect(repo.checkpoints(runId).every((c) => c.filePath?.startsWith('checkpoints/'))).toBe(true)

    const lastCheckpoint = repo.checkpoints(runId).at(-1)!.epoch
    b.resume(runId)
    const r = await b.waitFor(runId)
    expect(r.status).toBe('completed')
    const epochs = repo.epochs(runId)
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6])
    // Epochs up to the checkpoint are the ones trained before the restart.
    expect(epochs.slice(0, lastCheckpoint)).toEqual(before.slice(0, lastCheckpoint))
    const best = repo.checkpoints(runId).find((c) => c.isBest)!
    expect(new CheckpointStore(home.dir, repo).load(best).params.manifest.meta).toMatchObject({ epoch: 2 })
    // The run continued from the last checkpoint, with Adam's state and the best epoch's weights.
    expect(new CheckpointStore(home.dir, repo).load(repo.checkpoints(runId).at(-1)!).params.manifest.meta).toMatchObject({ epoch: 6, resumedFrom: lastCheckpoint })
    // A run another live process owns is left alone.
    const c = service({ owner: 'host-c:333', isAlive: () => true })
    expect(c.recoverInterrupted()).toEqual([])
  })

  it('fails every run of a batch whose data cannot be built, with the reason', async () => {
    const s = service({ buildError: new AppError('knowledge.no-perturbed-genes', 'The knowledge base knows none of the perturbed genes.') })
    const { runId } = s.start(setup())
    const r = await s.waitFor(runId)
    expect(r).toMatchObject({ status: 'failed', errorCode: 'knowledge.no-perturbed-genes' })
    expect(s.list({}).every((x) => x.status === 'failed')).toBe(true)
  })

  it('fails a run whose forced backend cannot load, naming it', async () => {
    const s = service()
    const { runId } = s.start(setup({ backend: 'tfjs-node' }))
    const r = await s.waitFor(runId)
    expect(r.status).toBe('failed')
    expect(r.errorCode).toBe('backend.unavailable')
    expect(r.error).toMatch(/tfjs-node/)
    // The next run, without --backend, falls back and trains.
    const next = s.start(setup({ epochs: 1 }))
    expect((await s.waitFor(next.runId)).status).toBe('completed')
  })

  it('refuses datasets without control cells or with a single condition, and explains run states', async () => {
    const s = service({ stepMs: 20 })
    const noCtrl = datasets.insert({ projectId, name: 'n', sourcePath: '/n', format: 'h5ad', storageDir: 'd/n', summary: summary({ controlCells: 0 }) }).summary.datasetId
    const single = datasets.insert({ projectId, name: 's', sourcePath: '/s', format: 'h5ad', storageDir: 'd/s', summary: summary({ singles: 1 }) }).summary.datasetId
    expect(() => s.start(setup({ datasetId: noCtrl }))).toThrow(expect.objectContaining({ code: 'train.no-control-cells' }))
    expect(() => s.start(setup({ datasetId: single }))).toThrow(expect.objectContaining({ code: 'train.too-few-conditions' }))
    expect(() => s.start(setup({ datasetId: 999 }))).toThrow(expect.objectContaining({ code: 'dataset.not-found' }))
    expect(s.list({})).toEqual([])
    expect(() => s.get(42)).toThrow(expect.objectContaining({ code: 'run.not-found' }))

    const { runId } = s.start(setup({ epochs: 2 }))
    await untilEpoch(runId, 1)
    expect(() => s.delete(runId)).toThrow(expect.objectContaining({ code: 'run.active' }))
    await s.waitFor(runId)
    expect(() => s.resume(runId)).toThrow(expect.objectContaining({ code: 'run.not-resumable', message: expect.stringMatching(/completed/) }))
  })

  it('compares runs by test group with the baselines of the same dataset and split, and deletes runs', async () => {
    const s = service()
    const a = s.start(setup({ epochs: 2 }))
    const b = s.start(setup({ model: 'biodsnn', epochs: 2, split: { kind: 'simulation', seed: 2 } }))
    await s.waitFor(a.runId)
    await s.waitFor(b.runId)
    const cmp = s.compare([a.runId], true)
    expect(cmp.runs.map((r) => [r.model, r.added])).toEqual([['gears', false], ...TRAIN_BASELINES.map((b) => [b, true])])
    expect(cmp.groups).toEqual(['overall', 'unseen_single'])
    expect(cmp.rows.find((r) => r.runId === a.runId && r.group === 'unseen_single')).toMatchObject({ n: 1, mse_de: 0.3, mse_de_norm: 0.3 })
    // Baselines of the other split are not mixed in.
    expect(s.compare([a.runId, b.runId], true).runs.filter((r) => r.added)).toHaveLength(2 * TRAIN_BASELINES.length)
    expect(s.compare([a.runId], false).runs).toHaveLength(1)

    expect(s.delete(a.runId)).toEqual({ deleted: a.runId })
    expect(repo.get(a.runId)).toBeUndefined()
    expect(events.some(([e, p]) => e === 'run:changed' && (p as { status: string }).status === 'deleted')).toBe(true)
  })

  it('estimates time and memory, and lists backends with the worker’s real choice', async () => {
    const s = service()
    const before = s.estimate(setup({ epochs: 10 }))
    expect(before).toMatchObject({ basis: 'model', stepsPerEpoch: expect.any(Number) })
    expect(before.seconds).toBeGreaterThan(0)
    expect(before.memoryMb).toBeGreaterThanOrEqual(300)
    const { runId } = s.start(setup({ epochs: 2 }))
    await s.waitFor(runId)
    const list = s.backends()
    expect(list.backends.map((b) => b.backend)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'])
    expect(list.worker?.backend).toBe(list.auto)
    expect(list.backends.find((b) => b.backend === list.auto)?.available).toBe(true)
    for (const b of list.backends.filter((x) => !x.available)) expect(b.reason).toBeTruthy()
    // The worker tried webgpu before what it chose (no hardware adapter here): its reason replaces the guess.
    if (list.auto !== 'webgpu' && list.auto !== 'tfjs-node-gpu') expect(list.backends.find((b) => b.backend === 'webgpu')).toMatchObject({ available: false, reason: expect.stringMatching(/adapter|not installed/) })
    const after = s.estimate(setup({ epochs: 10, backend: list.auto }))
    expect(after.basis).toBe('history')
  })
})

/** Every file under checkpoints/, and every (sub)folder. */
function checkpointTree(): { files: string[]; dirs: string[] } {
  const root = path.join(home.dir, 'checkpoints')
  const files: string[] = []
  const dirs: string[] = []
  if (!fs.existsSync(root)) return { files, dirs }
  for (const sub of fs.readdirSync(root)) {
    dirs.push(sub)
    for (const f of fs.readdirSync(path.join(root, sub))) files.push(`${sub}/${f}`)
  }
  return { files, dirs }
}

/** The app dies without close(): its worker is gone and its rows still say running. */
async function kill(s: TrainingService): Promise<void> {
  const queue = (s as unknown as { queue: { worker: { terminate(): Promise<void> }; closed: boolean } }).queue
  await queue.worker.terminate()
  queue.closed = true
}

describe('runs shared by processes on one data folder', () => {
  it('a run whose dataset is deleted under it (by another process) ends failed with the reason; no checkpoint file is left', async () => {
    const s = service({ stepMs: 15 })
    const { runId } = s.start(setup({ epochs: 30, hidden: 128 }))
    // The CLI's `train` waits on the run from its start.
    const waiting = s.waitFor(runId)
    await untilEpoch(runId, 2)
    expect(checkpointTree().files.length).toBeGreaterThan(0)
    // What another process's `dataset delete` does to this database: the rows go by cascade.
    datasets.delete(datasetId)
    const r = await waiting
    expect(r).toMatchObject({ id: runId, status: 'failed', errorCode: 'run.deleted' })
    expect(r.error).toMatch(/deleted while it was running/)
    // The worker stopped at once (not after 30 epochs), and the next run still trains.
    expect(r.epochsDone).toBeLessThan(30)
    await new Promise((done) => setTimeout(done, 100))
    // The checkpoint files of the deleted run — also one written as the rows went — do not stay.
    new CheckpointStore(home.dir, repo).sweep(0)
    expect(checkpointTree()).toEqual({ files: [], dirs: [] })
    const other = datasets.insert({ projectId, name: 'again', sourcePath: '/t', format: 'h5ad', storageDir: 'datasets/y', summary: summary() }).summary.datasetId
    expect((await s.waitFor(s.start(setup({ datasetId: other, epochs: 1 })).runId)).status).toBe('completed')
  })

  it('a queued run whose rows vanish ends failed (its waiter is answered, not left hanging)', async () => {
    const s = service({ stepMs: 20 })
    const first = s.start(setup({ epochs: 3 }))
    const other = datasets.insert({ projectId, name: 'b', sourcePath: '/b', format: 'h5ad', storageDir: 'datasets/b', summary: summary() }).summary.datasetId
    const queued = s.start(setup({ datasetId: other, epochs: 3 }))
    const waiting = s.waitFor(queued.runId)
    datasets.delete(other)
    expect(await waiting).toMatchObject({ status: 'failed', errorCode: 'run.deleted' })
    expect((await s.waitFor(first.runId)).status).toBe('completed')
  })

  it('refuses to delete a dataset or project while any process trains on it, naming the runs; abandoned runs do not block', async () => {
    const a = service({ stepMs: 15, owner: 'host-a:111' })
    const { runId } = a.start(setup({ epochs: 30 }))
    await untilEpoch(runId, 1)
    const b = service({ owner: 'host-b:222', isAlive: () => true })
    for (const s of [a, b]) {
      expect(() => s.assertNoActiveRuns({ datasetId })).toThrow(expect.objectContaining({ code: 'run.active', message: expect.stringMatching(new RegExp(`run ${runId} \\(gears, running.*Cancel it first`)) }))
      expect(() => s.assertNoActiveRuns({ projectId })).toThrow(expect.objectContaining({ code: 'run.active' }))
    }
    expect(b.assertNoActiveRuns({ datasetId: datasetId + 100 })).toBeUndefined()
    // Process a is killed: another process sees its pid gone and lets the delete through.
    await kill(a)
    expect(repo.get(runId)!.status).toBe('running')
    const c = service({ owner: 'host-c:333', isAlive: (o) => o !== 'host-a:111' })
    expect(() => c.assertNoActiveRuns({ projectId })).not.toThrow()
    expect(repo.get(runId)).toMatchObject({ status: 'failed', errorCode: 'train.interrupted' })
  })

  it('a killed process’s run is interrupted, not running, for a process already up: resume and delete work at once', async () => {
    const a = service({ stepMs: 15, owner: 'host-a:111' })
    const b = service({ stepMs: 15, owner: 'host-b:222', isAlive: (o) => o !== 'host-a:111' || !dead })
    let dead = false
    const { runId } = a.start(setup({ epochs: 6, hidden: 128 }))
    await untilEpoch(runId, 2)
    expect(() => b.resume(runId)).toThrow(expect.objectContaining({ code: 'run.not-resumable', message: expect.stringMatching(/it is running/) }))
    expect(() => b.delete(runId)).toThrow(expect.objectContaining({ code: 'run.active' }))
    await kill(a)
    dead = true
    // Without restarting b: the dead owner's pid makes the run interrupted, and resumable.
    b.resume(runId)
    expect(await b.waitFor(runId)).toMatchObject({ status: 'completed', epochsDone: 6 })
  })

  it('a run whose heartbeat is stale is interrupted even when its pid cannot be checked (another machine); a live owner keeps it fresh', async () => {
    const a = service({ stepMs: 15, owner: 'host-a:111', heartbeatMs: 20 })
    const { runId } = a.start(setup({ epochs: 40, hidden: 128 }))
    await untilEpoch(runId, 2)
    const first = repo.get(runId)!.heartbeatAt!
    await new Promise((done) => setTimeout(done, 80))
    expect(Date.parse(repo.get(runId)!.heartbeatAt!)).toBeGreaterThan(Date.parse(first))
    await kill(a)
    // Another host: the pid says nothing, only the heartbeat does.
    const b = service({ stepMs: 15, owner: 'host-b:222', isAlive: () => true })
    expect(() => b.resume(runId)).toThrow(expect.objectContaining({ message: expect.stringMatching(/it is running/) }))
    db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?').run(new Date(Date.now() - 10 * 60_000).toISOString(), runId)
    expect(b.cancel(runId)).toEqual({ runId, status: 'failed' })
    expect(repo.get(runId)).toMatchObject({ status: 'failed', errorCode: 'train.interrupted' })
    expect(repo.get(runId)!.error).toMatch(/host-a:111 is gone.*Resume it/)
    b.resume(runId)
    expect((await b.waitFor(runId)).status).toBe('completed')
  })

  it('deleting a run removes its checkpoint files and the subfolders they leave empty', async () => {
    const s = service()
    const { runId } = s.start(setup({ epochs: 4, hidden: 128 }))
    await s.waitFor(runId)
    expect(checkpointTree().files).toHaveLength(2)
    s.delete(runId)
    expect(checkpointTree()).toEqual({ files: [], dirs: [] })
  })
})
