/**
 * Training runs: queue, one worker thread, and everything the runs leave in the database.
 *
 * One long-lived worker per process trains one batch at a time (a batch = the baselines a model
 * run's dataset and split still lack, then the model, sharing one copy of the training data);
 * the rest wait in a FIFO queue. The worker reports progress, epochs (with checkpoints) and
 * results; this side turns them into rows, files and events. A worker that dies fails the run it
 * was training with the reason and is replaced for the next one; nothing here throws into the app.
 */
import os from 'node:os'
import {
  AppError,
  TRAIN_BASELINES,
  type BackendList,
  type DatasetSummary,
  type RunComparison,
  type RunDetail,
  type RunListItem,
  type RunStatus,
  type TrainBaseline,
  type TrainEstimate,
  type TrainSetup,
} from '../../../src-shared/contract'
import type { RunRecord, RunsRepo } from '../../db/runs-repo'
import type { EventBus } from '../../event-bus'
import type { BackendInfo, BackendName } from '../../ml/backend'
import type { ResumeState, TrainConfig, TrainingData, TrainProgress } from '../../ml/engine-types'
import { EngineWorker } from '../../ml/worker-host'
import { shareKept, toWire as errorToWire, transferables, type HostMessage, type WireError, type WorkerJob, type WorkerMessage } from '../../ml/worker-protocol'
import type { WorkerScript } from '../../ml/worker-script'
import { listBackends } from './backends'
import { CheckpointStore, fittedToArtifact } from './checkpoint-store'
import { effectiveCells, estimateTraining, type EpochSample } from './estimate'
import { MAX_WORKERS } from '../../ml/config'
import { comparison, isResumable, runVerdictOf, sameConditions, splitKey, toDetail, toListItem } from './run-views'

export interface TrainingServiceDeps {
  home: string
  repo: RunsRepo
  datasets: { require(id: number): { summary: DatasetSummary } }
  /** the engine's input for a dataset, and the buffers that must not be transferred (still used by the dataset cache) */
  buildData(datasetId: number, setup: TrainSetup): Promise<{ data: TrainingData; keep?: ReadonlySet<ArrayBufferLike> }>
  events: EventBus
  workerScript(): Promise<WorkerScript>
  log?(message: string): void
  /** `host:pid` of this process (tests simulate another process with it) */
  owner?: string
  /** whether the process that owns a run still exists */
  isAlive?(owner: string): boolean
  /** how often this process refreshes the heartbeat of its queued and running runs (ms) */
  heartbeatMs?: number
  /** a run whose heartbeat is older than this (ms) is abandoned, whatever its owner's pid says */
  staleMs?: number
}

/** The owning process refreshes its runs' heartbeat this often… */
export const HEARTBEAT_MS = 5_000
/** …and a run not refreshed for this long is abandoned (a process stalled this long has a worse problem). */
export const STALE_MS = 60_000

interface Batch {
  datasetId: number
  prefer?: BackendName
  runIds: number[]
  /** runs continuing from their last checkpoint */
  resume: Set<number>
}

interface Current {
  batch: Batch
  /** runs of the batch that have not ended yet */
  pending: Set<number>
  running: number | null
  /** cancelled before or while the worker had them */
  stopRequested: Set<number>
  /** false until the batch has been posted to the worker */
  posted: boolean
  /** runs whose checkpoint could not be written: they fail with this when they end */
  saveErrors: Map<number, WireError>
}

export const defaultOwner = () => `${os.hostname()}:${process.pid}`

export function processAlive(owner: string): boolean {
  const [host, pid] = [owner.slice(0, owner.lastIndexOf(':')), Number(owner.slice(owner.lastIndexOf(':') + 1))]
  // Another machine sharing the data folder: we cannot tell, so its runs are left alone.
  if (host !== os.hostname()) return true
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const TERMINAL: RunStatus[] = ['completed', 'failed', 'cancelled']

/** What a waiter gets when the run's rows were deleted under it (its dataset or project went). */
function deletedRecord(last: RunRecord): RunRecord {
  return {
    ...last,
    status: 'failed',
    errorCode: 'run.deleted',
    error: `Run ${last.id} was deleted while it was ${last.status} (its dataset, project or the run itself was deleted, perhaps by another Perturb Studio process); nothing of it was kept.`,
    finishedAt: new Date().toISOString(),
  }
}

export class TrainingService {
  private readonly queue: Batch[] = []
  private current: Current | null = null
  private worker: TrainingWorker | null = null
  private readonly progress = new Map<number, TrainProgress>()
  private readonly waiters = new Map<number, { last: RunRecord; resolve: (r: RunRecord) => void }[]>()
  private readonly checkpoints: CheckpointStore
  private readonly owner: string
  private closed = false
  private readonly heartbeatTimer: NodeJS.Timeout
  /** the last worker's backend, kept for backend:list after it is replaced */
  private lastBackend: { info: BackendInfo; auto: boolean } | null = null

  constructor(private readonly deps: TrainingServiceDeps) {
    this.owner = deps.owner ?? defaultOwner()
    this.checkpoints = new CheckpointStore(deps.home, deps.repo)
    // Every process that may own runs says so regularly; unref'd, so it never keeps a CLI alive.
    this.heartbeatTimer = setInterval(() => this.beat(), deps.heartbeatMs ?? HEARTBEAT_MS)
    this.heartbeatTimer.unref()
  }

  private beat(): void {
    if (this.closed) return clearInterval(this.heartbeatTimer)
    try {
      this.deps.repo.heartbeat(this.owner)
    } catch (err) {
      this.log(`training heartbeat: ${(err as Error).message}`)
    }
  }

  /**
   * Whether some process still has this queued or running run: this one, or another whose
   * heartbeat is fresh and whose pid (on this host) exists. Every process asks this before it
   * fails, resumes or deletes a run it does not own.
   */
  isLive(r: RunRecord): boolean {
    if (TERMINAL.includes(r.status)) return false
    if (r.owner === this.owner) return !this.closed
    if (!r.owner) return false
    const beat = r.heartbeatAt ? Date.parse(r.heartbeatAt) : NaN
    if (Number.isFinite(beat) && Date.now() - beat > (this.deps.staleMs ?? STALE_MS)) return false
    return (this.deps.isAlive ?? processAlive)(r.owner)
  }

  /** An abandoned run (its process is gone) becomes failed "interrupted", resumable where it has a checkpoint. */
  private interrupt(r: RunRecord, why = 'the app closed or crashed'): void {
    const message = r.hasCheckpoint && r.kind === 'model' && r.epochsDone < r.config.epochs
      ? `Interrupted after epoch ${r.epochsDone} of ${r.config.epochs} (${why}). Resume it to continue from its last checkpoint.`
      : r.status === 'queued'
        ? `Interrupted while queued (${why}). Start it again.`
        : `Interrupted before its first checkpoint (${why}). Start it again.`
    this.deps.repo.finish(r.id, { status: 'failed', error: { code: 'train.interrupted', message } })
    this.changed(r.id)
  }

  /** A run that looks active but whose process is gone is marked interrupted; returns the fresh row. */
  private settleAbandoned(r: RunRecord): RunRecord {
    if (TERMINAL.includes(r.status) || this.isLive(r) || this.tracks(r.id)) return r
    this.interrupt(r, `the process ${r.owner ?? 'that trained it'} is gone`)
    return this.deps.repo.get(r.id) ?? r
  }

  private tracks(runId: number): boolean {
    return !!this.current?.pending.has(runId) || this.queue.some((b) => b.runIds.includes(runId))
  }

  /**
   * Before a dataset or project is deleted with its runs: refuses while any of them is queued or
   * running in a live process (this one included), naming them; abandoned ones are marked
   * interrupted first so they do not block the delete.
   */
  assertNoActiveRuns(scope: { datasetId: number } | { projectId: number }): void {
    const live = this.deps.repo.active(scope).map((r) => this.settleAbandoned(r)).filter((r) => !TERMINAL.includes(r.status))
    if (!live.length) return
    const what = 'datasetId' in scope ? `dataset ${scope.datasetId}` : `project ${scope.projectId}`
    const list = live.map((r) => `run ${r.id} (${r.model}, ${r.status}${r.owner && r.owner !== this.owner ? ` in process ${r.owner}` : ''})`).join(', ')
    throw new AppError('run.active', `Cannot delete ${what}: ${list} ${live.length === 1 ? 'is' : 'are'} still training on it. Cancel ${live.length === 1 ? 'it' : 'them'} first (perturb-studio run cancel ID, in the process that trains ${live.length === 1 ? 'it' : 'them'}), then delete.`)
  }

  /**
   * On start: runs that a dead process left queued or running become `failed` ("interrupted");
   * those with a checkpoint stay resumable. Unreferenced checkpoint files are swept.
   */
  recoverInterrupted(): number[] {
    const recovered: number[] = []
    for (const r of this.deps.repo.active()) {
      if (this.isLive(r)) continue
      this.interrupt(r)
      recovered.push(r.id)
    }
    try {
      this.checkpoints.sweep()
    } catch (err) {
      this.log(`checkpoint sweep: ${(err as Error).message}`)
    }
    return recovered
  }

  // ── channels ───────────────────────────────────────────────────────────────────────

  start(input: TrainSetup): { runId: number } {
    this.assertOpen()
    // The worker count is part of what a run reproduces: stored as resolved (one per core by default).
    const setup: TrainSetup = { ...input, workers: input.workers ?? defaultWorkers() }
    const ds = this.checkDataset(setup.datasetId)
    const key = splitKey(setup.split)
    const have = new Set(this.deps.repo.baselines(setup.datasetId, key).map((r) => r.model))
    const missing = TRAIN_BASELINES.filter((b) => b !== setup.model && !have.has(b))
    const insert = (model: string, kind: 'model' | 'baseline', name: string | null) =>
      this.deps.repo.insert({ projectId: ds.projectId, datasetId: setup.datasetId, model, kind, name, config: { ...setup, model: model as TrainSetup['model'], name: name ?? undefined }, splitKey: key, owner: this.owner }).id
    const baselineIds = missing.map((b) => insert(b, 'baseline', null))
    const runId = insert(setup.model, (TRAIN_BASELINES as readonly string[]).includes(setup.model) ? 'baseline' : 'model', setup.name ?? null)
    this.queue.push({ datasetId: setup.datasetId, prefer: setup.backend, runIds: [...baselineIds, runId], resume: new Set() })
    for (const id of [...baselineIds, runId]) this.changed(id)
    this.deps.events.emit('project:changed', { projectId: ds.projectId })
    this.kick()
    return { runId }
  }

  cancel(runId: number): { runId: number; status: RunStatus } {
    const r = this.require(runId)
    if (TERMINAL.includes(r.status)) return { runId, status: r.status }
    const current = this.current
    if (current?.pending.has(runId)) {
      // The worker finishes its current step (or skips a job not yet begun) and answers.
      current.stopRequested.add(runId)
      if (current.posted && this.worker?.alive) this.worker.post({ type: 'stop', runId })
      return { runId, status: r.status }
    }
    const batch = this.queue.find((b) => b.runIds.includes(runId))
    if (batch) {
      batch.runIds = batch.runIds.filter((id) => id !== runId)
      this.end(runId, 'cancelled', { code: 'train.cancelled', message: 'Cancelled while queued.' })
      return { runId, status: 'cancelled' }
    }
    const settled = this.settleAbandoned(r)
    if (TERMINAL.includes(settled.status)) return { runId, status: settled.status }
    throw new AppError('run.other-process', `Run ${runId} is ${r.status} in another Perturb Studio process (${r.owner ?? 'unknown'}); cancel it there.`)
  }

  resume(runId: number): { runId: number } {
    this.assertOpen()
    // A run whose process died (killed server, other machine gone quiet) is interrupted, not running.
    const r = this.settleAbandoned(this.require(runId))
    if (!isResumable(r)) {
      const why =
        r.kind === 'baseline' ? 'baselines are fitted in one go; start one again instead'
        : r.status === 'completed' ? 'it has completed'
        : r.status === 'queued' || r.status === 'running' ? `it is ${r.status}`
        : !r.hasCheckpoint ? 'it has no checkpoint yet (it ended before its first epoch finished); start it again'
        : 'all its epochs are done'
      throw new AppError('run.not-resumable', `Run ${runId} cannot be resumed: ${why}.`)
    }
    if (r.datasetId === null) throw new AppError('run.not-resumable', `Run ${runId} cannot be resumed: its dataset was deleted.`)
    this.checkDataset(r.datasetId)
    this.deps.repo.requeue(runId, this.owner)
    this.queue.push({ datasetId: r.datasetId, prefer: r.config.backend, runIds: [runId], resume: new Set([runId]) })
    this.changed(runId)
    this.kick()
    return { runId }
  }

  estimate(setup: TrainSetup): TrainEstimate {
    const ds = this.deps.datasets.require(setup.datasetId).summary
    const backend = setup.backend ?? this.backends().auto
    const history: EpochSample[] = []
    for (const r of this.deps.repo.list({ includeBaselines: false }).slice(0, 200)) {
      if (r.status !== 'completed' || !r.split || !r.backend || r.model !== setup.model) continue
      let summary: DatasetSummary
      try {
        if (r.datasetId === null) continue
        summary = this.deps.datasets.require(r.datasetId).summary
      } catch {
        continue
      }
      const epochs = this.deps.repo.epochs(r.id)
      const seconds = epochs.reduce((a, e) => a + e.seconds, 0) / Math.max(1, epochs.length)
      if (epochs.length) history.push({ model: r.model, backend: r.backend.backend, seconds, trainConditions: r.split.train.length, genes: summary.genes, hidden: r.config.hidden, cellsPerCondition: effectiveCells(r.config.cellsPerCondition, summary), workers: r.config.workers ?? 1 })
      if (history.length >= 5) break
    }
    return estimateTraining({ ...setup, workers: setup.workers ?? defaultWorkers() }, ds, backend, history)
  }

  list(filter: { projectId?: number; datasetId?: number; includeBaselines?: boolean }): RunListItem[] {
    return this.deps.repo.list(filter).map(toListItem)
  }

  get(id: number): RunDetail {
    const r = this.require(id)
    const position = this.queuePosition(id)
    const epochs = this.deps.repo.epochs(id)
    const verdict = r.status === 'completed' ? runVerdictOf(r, this.newestBaselines(r), epochs) : null
    return toDetail(r, { epochs, checkpoints: this.deps.repo.checkpoints(id), progress: r.status === 'running' ? (this.progress.get(id) ?? null) : null, queuePosition: position, verdict })
  }

  /** The newest completed run of each baseline on the run's dataset and split, in TRAIN_BASELINES order. */
  private newestBaselines(r: RunRecord, skip: ReadonlySet<number> = new Set()): RunRecord[] {
    if (r.datasetId === null || !r.splitKey) return []
    const seen = new Set<string>()
    const newest = this.deps.repo.baselines(r.datasetId, r.splitKey).filter((b) => b.status === 'completed' && !skip.has(b.id) && !seen.has(b.model) && seen.add(b.model))
    return newest.sort((x, y) => TRAIN_BASELINES.indexOf(x.model as TrainBaseline) - TRAIN_BASELINES.indexOf(y.model as TrainBaseline))
  }

  compare(ids: number[], withBaselines: boolean): RunComparison {
    const selected = [...new Set(ids)].map((id) => this.require(id))
    const added: RunRecord[] = []
    if (withBaselines) {
      const have = new Set(selected.map((r) => r.id))
      for (const r of selected) {
        for (const b of this.newestBaselines(r, have)) {
          have.add(b.id)
          added.push(b)
        }
      }
    }
    return comparison(selected, sameConditions(selected, added))
  }

  delete(id: number): { deleted: number } {
    const r = this.settleAbandoned(this.require(id))
    if (this.current?.pending.has(id) || (r.status === 'running' && this.isLive(r))) throw new AppError('run.active', `Run ${id} is ${r.status}; cancel it first, then delete it.`)
    if (r.status === 'queued') {
      if (this.queue.some((b) => b.runIds.includes(id))) for (const b of this.queue) b.runIds = b.runIds.filter((x) => x !== id)
      else if (this.isLive(r)) throw new AppError('run.active', `Run ${id} is queued in another Perturb Studio process (${r.owner}); cancel it there first.`)
    }
    const { files } = this.deps.repo.delete(id)
    this.checkpoints.removeFiles(files)
    this.progress.delete(id)
    this.deps.events.emit('run:changed', { runId: id, projectId: r.projectId, datasetId: r.datasetId, status: 'deleted' })
    this.deps.events.emit('project:changed', { projectId: r.projectId })
    return { deleted: id }
  }

  backends(): BackendList {
    const w = this.worker?.backend ? { info: this.worker.backend, auto: this.worker.prefer === undefined } : this.lastBackend
    return listBackends(w?.info ?? null, w?.auto ?? false)
  }

  /** Resolves when the run is completed, failed or cancelled (the CLI waits on this). */
  waitFor(runId: number): Promise<RunRecord> {
    const r = this.require(runId)
    if (TERMINAL.includes(r.status)) return Promise.resolve(r)
    return new Promise((resolve) => {
      const list = this.waiters.get(runId) ?? []
      list.push({ last: r, resolve })
      this.waiters.set(runId, list)
    })
  }

  /**
   * Stops the worker. Runs still queued or running here are marked failed first (synchronously,
   * while the database is open), resumable where they have a checkpoint.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    clearInterval(this.heartbeatTimer)
    const open = [...(this.current?.pending ?? []), ...this.queue.flatMap((b) => b.runIds)]
    this.queue.length = 0
    this.current = null
    const worker = this.worker
    this.worker = null
    for (const id of open) {
      const r = this.deps.repo.get(id)
      if (!r || TERMINAL.includes(r.status)) continue
      const resumable = r.hasCheckpoint && r.kind === 'model'
      this.end(id, 'failed', { code: 'train.interrupted', message: resumable ? `Interrupted after epoch ${r.epochsDone}: the app was closed. Resume it to continue from its last checkpoint.` : 'Interrupted: the app was closed before it finished. Start it again.' })
    }
    return worker?.terminate() ?? Promise.resolve()
  }

  // ── the queue ──────────────────────────────────────────────────────────────────────

  private kick(): void {
    if (this.current || this.closed) return
    const batch = this.queue.shift()
    if (!batch) {
      this.worker?.setBusy(false)
      return
    }
    const kept = batch.runIds.filter((id) => this.deps.repo.get(id)?.status === 'queued')
    // Rows deleted while queued (dataset or project deleted elsewhere): their waiters learn why.
    for (const id of batch.runIds) if (!kept.includes(id)) this.notify(id)
    batch.runIds = kept
    if (batch.runIds.length === 0) return this.kick()
    const current: Current = { batch, pending: new Set(batch.runIds), running: null, stopRequested: new Set(), posted: false, saveErrors: new Map() }
    this.current = current
    void this.launch(current).catch((err) => {
      // Building the data or starting the backend failed: every run of the batch fails with why.
      if (this.current !== current) return
      const wire = toWire(err)
      for (const id of current.pending) {
        if (current.stopRequested.has(id)) this.end(id, 'cancelled', { code: 'train.cancelled', message: 'Cancelled before it started.' })
        else this.end(id, 'failed', wire)
      }
      this.current = null
      this.kick()
    })
  }

  private async launch(current: Current): Promise<void> {
    const { batch } = current
    const records = batch.runIds.map((id) => this.require(id))
    const model = records[records.length - 1]
    const { data, keep } = await this.deps.buildData(batch.datasetId, model.config)
    const worker = await this.ensureWorker(batch.prefer)
    if (this.current !== current) return
    const jobs: WorkerJob[] = records.map((r) => ({ runId: r.id, config: toTrainConfig(r.config), resume: batch.resume.has(r.id) ? this.resumeState(r) : undefined }))
    worker.setBusy(true)
    const kept = keep ?? new Set<ArrayBufferLike>()
    worker.post({ type: 'train', data: shareKept(data, kept), jobs }, transferables(data, kept))
    current.posted = true
    // Stop requests that arrived while the data was being built.
    for (const id of current.stopRequested) worker.post({ type: 'stop', runId: id })
  }

  private async ensureWorker(prefer: BackendName | undefined): Promise<TrainingWorker> {
    const w = this.worker
    if (w?.alive && (w.prefer === prefer || (prefer !== undefined && w.backend?.backend === prefer))) {
      await w.ready
      return w
    }
    if (w) {
      this.worker = null
      await w.terminate()
    }
    const script = await this.deps.workerScript()
    const worker: TrainingWorker = new EngineWorker({
      script,
      spawn: { role: 'train', prefer },
      name: 'training worker',
      crashCode: 'train.worker-crashed',
      onMessage: (msg: WorkerMessage) => this.onMessage(worker, msg),
      onDeath: (reason) => this.onDeath(worker, reason),
      log: (m) => this.log(m),
    })
    this.worker = worker
    try {
      const info = await worker.ready
      this.lastBackend = { info, auto: prefer === undefined }
      return worker
    } catch (err) {
      if (this.worker === worker) this.worker = null
      await worker.terminate()
      throw err
    }
  }

  private resumeState(r: RunRecord): ResumeState | undefined {
    const cps = this.deps.repo.checkpoints(r.id)
    const last = cps[cps.length - 1]
    if (!last) return undefined
    this.deps.repo.dropEpochsAfter(r.id, last.epoch)
    const epochs = this.deps.repo.epochs(r.id)
    const best = cps.find((c) => c.isBest) ?? last
    const { params, optimizer } = this.checkpoints.load(last)
    // fromEpoch counts the epochs done: training continues with fromEpoch + 1.
    return {
      fromEpoch: last.epoch,
      params,
      ...(optimizer ? { optimizer } : {}),
      epochs,
      bestEpoch: best.epoch,
      ...(best !== last ? { bestParams: this.checkpoints.load(best).params } : {}),
    }
  }

  private onMessage(worker: TrainingWorker, msg: WorkerMessage): void {
    if (worker !== this.worker) return
    try {
      this.handle(worker, msg)
    } catch (err) {
      // A database or disk error must not take the app down; the run it concerns fails with it.
      this.log(`training: ${(err as Error).stack ?? String(err)}`)
      const runId = 'runId' in msg ? msg.runId : null
      if (runId !== null && this.current?.pending.has(runId)) {
        this.current.saveErrors.set(runId, toWire(err))
        // Its rows were deleted meanwhile (a foreign key failed): stop training it; 'result' settles it.
        if (!this.deps.repo.get(runId) && msg.type !== 'result' && msg.type !== 'failed') worker.post({ type: 'stop', runId })
        else if (!this.deps.repo.get(runId)) this.settle(runId)
      }
    }
  }

  private handle(worker: TrainingWorker, msg: WorkerMessage): void {
    const current = this.current
    if (!current) return
    switch (msg.type) {
      case 'started': {
        if (!this.deps.repo.get(msg.runId)) return worker.post({ type: 'stop', runId: msg.runId })
        current.running = msg.runId
        this.deps.repo.markRunning(msg.runId, this.owner, worker.backend!)
        this.changed(msg.runId)
        return
      }
      case 'progress': {
        this.progress.set(msg.runId, msg.progress)
        this.deps.events.emit('train:progress', { runId: msg.runId, ...msg.progress })
        return
      }
      case 'epoch': {
        if (!this.deps.repo.get(msg.runId)) return worker.post({ type: 'stop', runId: msg.runId })
        this.deps.repo.addEpoch(msg.runId, msg.report, msg.isBest)
        if (msg.params) this.checkpoints.save(msg.runId, msg.report.epoch, { params: msg.params, optimizer: msg.optimizer }, msg.isBest)
        this.changed(msg.runId, msg.report)
        return
      }
      case 'result': {
        const r = this.deps.repo.get(msg.runId)
        if (!r) return this.settle(msg.runId)
        const { result } = msg
        this.deps.repo.setSplit(msg.runId, result.split)
        if (result.selection) this.deps.repo.setSelection(msg.runId, result.selection)
        if (result.pertGraph) this.deps.repo.setPertGraph(msg.runId, result.pertGraph)
        if (result.fitted) this.checkpoints.save(msg.runId, 0, { params: fittedToArtifact(result.fitted, { kind: 'baseline', model: r.model }) }, true)
        else if (result.params && !this.deps.repo.checkpoints(msg.runId).some((c) => c.epoch === result.bestEpoch)) {
          this.checkpoints.save(msg.runId, result.bestEpoch, { params: result.params }, true)
        }
        const saveError = current.saveErrors.get(msg.runId)
        const status = saveError ? 'failed' : msg.stopped || result.stopped ? 'cancelled' : 'completed'
        this.deps.repo.finish(msg.runId, { status, error: saveError, bestEpoch: result.bestEpoch, test: result.test })
        return this.settle(msg.runId)
      }
      case 'failed': {
        if (!this.deps.repo.get(msg.runId)) return this.settle(msg.runId)
        const cancelled = msg.stopped || msg.error.code === 'train.cancelled'
        this.deps.repo.finish(msg.runId, cancelled ? { status: 'cancelled', error: msg.error.code === 'train.cancelled' ? undefined : msg.error } : { status: 'failed', error: msg.error })
        return this.settle(msg.runId)
      }
      case 'done': {
        for (const id of current.pending) this.end(id, 'failed', { code: 'train.no-result', message: 'The training worker finished without a result for this run.' })
        this.current = null
        this.kick()
        return
      }
    }
  }

  /** A run has ended in the worker; its row is already written. */
  private settle(runId: number): void {
    this.current?.pending.delete(runId)
    if (this.current?.running === runId) this.current.running = null
    this.progress.delete(runId)
    this.changed(runId)
    this.notify(runId)
  }

  private onDeath(worker: TrainingWorker, reason: string): void {
    if (worker !== this.worker) return
    this.worker = null
    const current = this.current
    this.current = null
    if (current) {
      const dead = current.running ?? [...current.pending][0]
      if (dead !== undefined) {
        const r = this.deps.repo.get(dead)
        const kept = r && r.epochsDone > 0 ? ` Epochs 1–${r.epochsDone} and their checkpoints are kept; resume the run to continue.` : ''
        this.end(dead, 'failed', { code: 'train.worker-crashed', message: `The training worker stopped unexpectedly: ${reason}.${kept}` })
        current.pending.delete(dead)
      }
      // The other runs of the batch did nothing wrong: back to the front of the queue.
      const rest = [...current.pending]
      if (rest.length) this.queue.unshift({ ...current.batch, runIds: rest })
    }
    this.log(`training worker stopped: ${reason}`)
    this.kick()
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────

  private end(runId: number, status: 'failed' | 'cancelled', error?: WireError): void {
    if (this.deps.repo.get(runId)) this.deps.repo.finish(runId, { status, error: status === 'cancelled' && error?.code === 'train.cancelled' ? undefined : error })
    this.current?.pending.delete(runId)
    this.progress.delete(runId)
    this.changed(runId)
    this.notify(runId)
  }

  private notify(runId: number): void {
    const r = this.deps.repo.get(runId)
    const list = this.waiters.get(runId)
    if (!list || (r && !TERMINAL.includes(r.status))) return
    this.waiters.delete(runId)
    for (const w of list) w.resolve(r ?? deletedRecord(w.last))
  }

  private changed(runId: number, epoch?: RunDetail['epochLog'][number]): void {
    const r = this.deps.repo.get(runId)
    if (!r) return
    // What a waiter is told if the rows vanish later (see deletedRecord).
    for (const w of this.waiters.get(runId) ?? []) w.last = r
    this.deps.events.emit('run:changed', { runId, projectId: r.projectId, datasetId: r.datasetId, status: r.status, ...(epoch ? { epoch } : {}) })
  }

  private queuePosition(runId: number): number | null {
    let position = this.current ? 1 : 0
    for (const b of this.queue) {
      if (b.runIds.includes(runId)) return position + 1
      position++
    }
    return null
  }

  private checkDataset(datasetId: number): DatasetSummary {
    const ds = this.deps.datasets.require(datasetId).summary
    if (ds.controlCells === 0) {
      throw new AppError('train.no-control-cells', `Dataset ${datasetId} has no control cells; every prediction starts from a control cell. Import it again naming the control label (--control-label).`)
    }
    const perturbed = ds.singles + ds.combos
    if (perturbed < 2) {
      throw new AppError('train.too-few-conditions', `Dataset ${datasetId} has ${perturbed} perturbed condition${perturbed === 1 ? '' : 's'}; training needs at least two (conditions to learn from and held-out ones to test on).`)
    }
    return ds
  }

  private require(id: number): RunRecord {
    const r = this.deps.repo.get(id)
    if (!r) throw new AppError('run.not-found', `No run with id ${id}. List them with: perturb-studio runs`)
    return r
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('train.closed', 'Training has been shut down in this process.')
  }

  private log(message: string): void {
    this.deps.log?.(message)
  }
}

const toWire = (err: unknown): WireError => errorToWire(err, 'train.failed')

/** The training service's one worker. */
type TrainingWorker = EngineWorker<HostMessage, WorkerMessage>

/** The stored setup as the engine's config (the setup's extra fields: dataset and label). */
export function toTrainConfig(s: TrainSetup): TrainConfig {
  return {
    model: s.model,
    split: s.split,
    seed: s.seed,
    epochs: s.epochs,
    batchConditions: s.batchConditions,
    cellsPerCondition: s.cellsPerCondition,
    hidden: s.hidden,
    lr: s.lr,
    weightDecay: s.weightDecay,
    schedule: s.schedule,
    gradClip: s.gradClip,
    loss: s.loss,
    selfEffect: s.selfEffect,
    uncertainty: s.uncertainty,
    uncertaintyReference: s.uncertaintyReference,
    maskLevel: s.maskLevel,
    ...(s.prior ? { prior: s.prior } : {}),
    ...(s.pertGraph ? { pertGraph: s.pertGraph } : {}),
    ...(s.backend ? { backend: s.backend } : {}),
    // Runs stored before the option ran on one worker.
    ...(s.workers && s.workers > 1 ? { workers: s.workers } : {}),
  }
}

/** One worker thread per core (the engine uses them on one-core backends only, and fewer when memory is short). */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, os.availableParallelism())
}
