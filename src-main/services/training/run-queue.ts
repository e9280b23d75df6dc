/**
 * The training run queue: one long-lived worker per process trains one batch at a time (a batch =
 * the baselines a model run's dataset and split still lack, then the model, sharing one copy of
 * the training data); the rest wait in a FIFO queue. The worker reports progress, epochs (with
 * checkpoints) and results; this side turns them into rows, files and events. A worker that dies
 * fails the run it was training with the reason and is replaced for the next one; nothing here
 * throws into the app.
 *
 * It also keeps who owns a run honest: this process's heartbeat on its queued and running runs,
 * and the one liveness check every process makes before it fails, resumes or deletes a run it does
 * not own. What a run may be (validation, setup, views) is the training service's concern.
 */
import os from 'node:os'
import { AppError, type RunDetail, type RunStatus, type TrainSetup } from '../../../src-shared/contract'
import type { RunRecord, RunsRepo } from '../../db/runs-repo'
import type { EventBus } from '../../event-bus'
import type { BackendInfo, BackendName } from '../../ml/backend'
import type { ResumeState, TrainingData, TrainProgress } from '../../ml/engine-types'
import { EngineWorker } from '../../ml/worker-host'
import { shareKept, toWire as errorToWire, transferables, type HostMessage, type WireError, type WorkerJob, type WorkerMessage } from '../../ml/worker-protocol'
import type { WorkerScript } from '../../ml/worker-script'
import { fittedToArtifact, type CheckpointStore } from './checkpoint-store'
import { toTrainConfig } from './training-inputs'

export interface RunQueueDeps {
  repo: RunsRepo
  checkpoints: CheckpointStore
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

/** Runs trained together on one copy of their dataset's data, in order. */
export interface Batch {
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

/** The run's row, or the error a user sees for an id that names none. */
export function requireRun(repo: RunsRepo, id: number): RunRecord {
  const r = repo.get(id)
  if (!r) throw new AppError('run.not-found', `No run with id ${id}. List them with: perturb-studio runs`)
  return r
}

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

export class RunQueue {
  /** `host:pid`: the owner written on the runs this process queues and trains */
  readonly owner: string
  private readonly batches: Batch[] = []
  private current: Current | null = null
  private worker: TrainingWorker | null = null
  private readonly progress = new Map<number, TrainProgress>()
  private readonly waiters = new Map<number, { last: RunRecord; resolve: (r: RunRecord) => void }[]>()
  private closed = false
  private readonly heartbeatTimer: NodeJS.Timeout
  /** the last worker's backend, kept for backend:list after it is replaced */
  private lastBackend: { info: BackendInfo; auto: boolean } | null = null

  constructor(private readonly deps: RunQueueDeps) {
    this.owner = deps.owner ?? defaultOwner()
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

  // ── ownership ──────────────────────────────────────────────────────────────────────

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
  settleAbandoned(r: RunRecord): RunRecord {
    if (TERMINAL.includes(r.status) || this.isLive(r) || this.tracks(r.id)) return r
    this.interrupt(r, `the process ${r.owner ?? 'that trained it'} is gone`)
    return this.deps.repo.get(r.id) ?? r
  }

  private tracks(runId: number): boolean {
    return !!this.current?.pending.has(runId) || this.batches.some((b) => b.runIds.includes(runId))
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

  /** Before one run's rows are deleted: refuses while it is queued or running in a live process; takes it out of this queue. */
  release(r: RunRecord): void {
    const id = r.id
    if (this.current?.pending.has(id) || (r.status === 'running' && this.isLive(r))) throw new AppError('run.active', `Run ${id} is ${r.status}; cancel it first, then delete it.`)
    if (r.status === 'queued') {
      if (this.batches.some((b) => b.runIds.includes(id))) for (const b of this.batches) b.runIds = b.runIds.filter((x) => x !== id)
      else if (this.isLive(r)) throw new AppError('run.active', `Run ${id} is queued in another Perturb Studio process (${r.owner}); cancel it there first.`)
    }
    this.progress.delete(id)
  }

  /** On start: runs that a dead process left queued or running become `failed` ("interrupted"); those with a checkpoint stay resumable. */
  recoverInterrupted(): number[] {
    const recovered: number[] = []
    for (const r of this.deps.repo.active()) {
      if (this.isLive(r)) continue
      this.interrupt(r)
      recovered.push(r.id)
    }
    return recovered
  }

  // ── what the service asks of the queue ─────────────────────────────────────────────

  /**
   * Queues a batch whose rows say queued (owned by this process) and trains it when the worker is
   * free. `newRunsIn`: the project whose run list the batch's new rows changed.
   */
  enqueue(batch: Batch, newRunsIn?: number): void {
    this.batches.push(batch)
    for (const id of batch.runIds) this.changed(id)
    if (newRunsIn !== undefined) this.deps.events.emit('project:changed', { projectId: newRunsIn })
    this.kick()
  }

  cancel(r: RunRecord): { runId: number; status: RunStatus } {
    const runId = r.id
    if (TERMINAL.includes(r.status)) return { runId, status: r.status }
    const current = this.current
    if (current?.pending.has(runId)) {
      // The worker finishes its current step (or skips a job not yet begun) and answers.
      current.stopRequested.add(runId)
      if (current.posted && this.worker?.alive) this.worker.post({ type: 'stop', runId })
      return { runId, status: r.status }
    }
    const batch = this.batches.find((b) => b.runIds.includes(runId))
    if (batch) {
      batch.runIds = batch.runIds.filter((id) => id !== runId)
      this.end(runId, 'cancelled', { code: 'train.cancelled', message: 'Cancelled while queued.' })
      return { runId, status: 'cancelled' }
    }
    const settled = this.settleAbandoned(r)
    if (TERMINAL.includes(settled.status)) return { runId, status: settled.status }
    throw new AppError('run.other-process', `Run ${runId} is ${r.status} in another Perturb Studio process (${r.owner ?? 'unknown'}); cancel it there.`)
  }

  /** Resolves when the run is completed, failed or cancelled (the CLI waits on this). */
  waitFor(r: RunRecord): Promise<RunRecord> {
    if (TERMINAL.includes(r.status)) return Promise.resolve(r)
    return new Promise((resolve) => {
      const list = this.waiters.get(r.id) ?? []
      list.push({ last: r, resolve })
      this.waiters.set(r.id, list)
    })
  }

  /** 1 for the batch in training, then one per waiting batch; null when this process has not queued it. */
  position(runId: number): number | null {
    let position = this.current ? 1 : 0
    for (const b of this.batches) {
      if (b.runIds.includes(runId)) return position + 1
      position++
    }
    return null
  }

  /** The run's last progress report while it trains here. */
  progressOf(runId: number): TrainProgress | null {
    return this.progress.get(runId) ?? null
  }

  /** The worker's backend (the last worker's once it is gone); `auto`: chosen without --backend. */
  backend(): { info: BackendInfo; auto: boolean } | null {
    return this.worker?.backend ? { info: this.worker.backend, auto: this.worker.prefer === undefined } : this.lastBackend
  }

  assertOpen(): void {
    if (this.closed) throw new AppError('train.closed', 'Training has been shut down in this process.')
  }

  /**
   * Stops the worker. Runs still queued or running here are marked failed first (synchronously,
   * while the database is open), resumable where they have a checkpoint.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    clearInterval(this.heartbeatTimer)
    const open = [...(this.current?.pending ?? []), ...this.batches.flatMap((b) => b.runIds)]
    this.batches.length = 0
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

  // ── one batch at a time ────────────────────────────────────────────────────────────

  private kick(): void {
    if (this.current || this.closed) return
    const batch = this.batches.shift()
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
    const records = batch.runIds.map((id) => requireRun(this.deps.repo, id))
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
    const { params, optimizer } = this.deps.checkpoints.load(last)
    // fromEpoch counts the epochs done: training continues with fromEpoch + 1.
    return {
      fromEpoch: last.epoch,
      params,
      ...(optimizer ? { optimizer } : {}),
      epochs,
      bestEpoch: best.epoch,
      ...(best !== last ? { bestParams: this.deps.checkpoints.load(best).params } : {}),
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
        if (msg.params) this.deps.checkpoints.save(msg.runId, msg.report.epoch, { params: msg.params, optimizer: msg.optimizer }, msg.isBest)
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
        if (result.fitted) this.deps.checkpoints.save(msg.runId, 0, { params: fittedToArtifact(result.fitted, { kind: 'baseline', model: r.model }) }, true)
        else if (result.params && !this.deps.repo.checkpoints(msg.runId).some((c) => c.epoch === result.bestEpoch)) {
          this.deps.checkpoints.save(msg.runId, result.bestEpoch, { params: result.params }, true)
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
      if (rest.length) this.batches.unshift({ ...current.batch, runIds: rest })
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

  private log(message: string): void {
    this.deps.log?.(message)
  }
}

const toWire = (err: unknown): WireError => errorToWire(err, 'train.failed')

/** The queue's one worker. */
type TrainingWorker = EngineWorker<HostMessage, WorkerMessage>

