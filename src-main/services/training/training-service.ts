/**
 * Training runs as the app sees them: a setup is checked against its dataset, becomes rows (with
 * the baselines its dataset and split still lack) and goes to the run queue (run-queue.ts), which
 * trains them in the worker and owns them while they are queued or running. Here too: the time
 * and memory estimate, lists, details, comparisons with baselines, resumes and deletes.
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
import type { RunRecord } from '../../db/runs-repo'
import { MAX_WORKERS } from '../../ml/config'
import { listBackends } from './backends'
import { CheckpointStore } from './checkpoint-store'
import { effectiveCells, estimateTraining, type EpochSample } from './estimate'
import { RunQueue, requireRun, type RunQueueDeps } from './run-queue'
import { comparison, isResumable, runVerdictOf, sameConditions, splitKey, toDetail, toListItem } from './run-views'

export interface TrainingServiceDeps extends Omit<RunQueueDeps, 'checkpoints'> {
  home: string
  datasets: { require(id: number): { summary: DatasetSummary } }
}

export class TrainingService {
  private readonly queue: RunQueue
  private readonly checkpoints: CheckpointStore

  constructor(private readonly deps: TrainingServiceDeps) {
    this.checkpoints = new CheckpointStore(deps.home, deps.repo)
    this.queue = new RunQueue({ ...deps, checkpoints: this.checkpoints })
  }

  /**
   * Before a dataset or project is deleted with its runs: refuses while any of them is queued or
   * running in a live process (this one included), naming them.
   */
  assertNoActiveRuns(scope: { datasetId: number } | { projectId: number }): void {
    this.queue.assertNoActiveRuns(scope)
  }

  /**
   * On start: runs that a dead process left queued or running become `failed` ("interrupted");
   * those with a checkpoint stay resumable. Unreferenced checkpoint files are swept.
   */
  recoverInterrupted(): number[] {
    const recovered = this.queue.recoverInterrupted()
    try {
      this.checkpoints.sweep()
    } catch (err) {
      this.deps.log?.(`checkpoint sweep: ${(err as Error).message}`)
    }
    return recovered
  }

  // ── channels ───────────────────────────────────────────────────────────────────────

  start(input: TrainSetup): { runId: number } {
    this.queue.assertOpen()
    // The worker count is part of what a run reproduces: stored as resolved (one per core by default).
    const setup: TrainSetup = { ...input, workers: input.workers ?? defaultWorkers() }
    const ds = this.checkDataset(setup.datasetId)
    const key = splitKey(setup.split)
    const have = new Set(this.deps.repo.baselines(setup.datasetId, key).map((r) => r.model))
    const missing = TRAIN_BASELINES.filter((b) => b !== setup.model && !have.has(b))
    const insert = (model: string, kind: 'model' | 'baseline', name: string | null) =>
      this.deps.repo.insert({ projectId: ds.projectId, datasetId: setup.datasetId, model, kind, name, config: { ...setup, model: model as TrainSetup['model'], name: name ?? undefined }, splitKey: key, owner: this.queue.owner }).id
    const baselineIds = missing.map((b) => insert(b, 'baseline', null))
    const runId = insert(setup.model, (TRAIN_BASELINES as readonly string[]).includes(setup.model) ? 'baseline' : 'model', setup.name ?? null)
    this.queue.enqueue({ datasetId: setup.datasetId, prefer: setup.backend, runIds: [...baselineIds, runId], resume: new Set() }, ds.projectId)
    return { runId }
  }

  cancel(runId: number): { runId: number; status: RunStatus } {
    return this.queue.cancel(this.require(runId))
  }

  resume(runId: number): { runId: number } {
    this.queue.assertOpen()
    // A run whose process died (killed server, other machine gone quiet) is interrupted, not running.
    const r = this.queue.settleAbandoned(this.require(runId))
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
    this.deps.repo.requeue(runId, this.queue.owner)
    this.queue.enqueue({ datasetId: r.datasetId, prefer: r.config.backend, runIds: [runId], resume: new Set([runId]) })
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
    const position = this.queue.position(id)
    const epochs = this.deps.repo.epochs(id)
    const verdict = r.status === 'completed' ? runVerdictOf(r, this.newestBaselines(r), epochs) : null
    return toDetail(r, { epochs, checkpoints: this.deps.repo.checkpoints(id), progress: r.status === 'running' ? this.queue.progressOf(id) : null, queuePosition: position, verdict })
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
    const r = this.queue.settleAbandoned(this.require(id))
    this.queue.release(r)
    const { files } = this.deps.repo.delete(id)
    this.checkpoints.removeFiles(files)
    this.deps.events.emit('run:changed', { runId: id, projectId: r.projectId, datasetId: r.datasetId, status: 'deleted' })
    this.deps.events.emit('project:changed', { projectId: r.projectId })
    return { deleted: id }
  }

  backends(): BackendList {
    const w = this.queue.backend()
    return listBackends(w?.info ?? null, w?.auto ?? false)
  }

  /** Resolves when the run is completed, failed or cancelled (the CLI waits on this). */
  waitFor(runId: number): Promise<RunRecord> {
    return this.queue.waitFor(this.require(runId))
  }

  /** Stops the worker; runs still queued or running here are marked failed (interrupted) first. */
  close(): Promise<void> {
    return this.queue.close()
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
    return requireRun(this.deps.repo, id)
  }
}

/** One worker thread per core (the engine uses them on one-core backends only, and fewer when memory is short). */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, os.availableParallelism())
}
