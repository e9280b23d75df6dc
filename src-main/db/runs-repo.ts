import type { RunBackend, RunEpoch, RunEvaluation, RunPertGraph, RunSelection, RunSplit, RunStatus, TrainSetup } from '../../src-shared/contract'
import { nowIso, type Db } from './database'

interface RunRow {
  id: number
  project_id: number
  dataset_id: number | null
  model: string
  kind: 'model' | 'baseline'
  name: string | null
  config_json: string
  status: RunStatus
  error: string | null
  error_code: string | null
  backend_json: string | null
  best_epoch: number | null
  test_json: string | null
  split_key: string | null
  split_json: string | null
  selection_json: string | null
  pert_graph: string | null
  owner: string | null
  heartbeat_at: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  epochs_done: number
  has_checkpoint: number
}

/** A run as stored: the row with its JSON columns parsed. */
export interface RunRecord {
  id: number
  projectId: number
  datasetId: number | null
  model: string
  kind: 'model' | 'baseline'
  name: string | null
  config: TrainSetup
  status: RunStatus
  error: string | null
  errorCode: string | null
  backend: RunBackend | null
  bestEpoch: number | null
  test: RunEvaluation | null
  splitKey: string | null
  split: RunSplit | null
  /** residual runs on small screens: how the epoch and α were chosen */
  selection: RunSelection | null
  /** model runs: the perturbation graph(s) used */
  pertGraph: RunPertGraph | null
  owner: string | null
  /** when the owning process last refreshed the run (queued or running); null before schema 5 */
  heartbeatAt: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  epochsDone: number
  hasCheckpoint: boolean
}

export interface CheckpointRecord {
  id: number
  runId: number
  epoch: number
  sha256: string
  bytes: number
  /** inline bytes, or null when stored as a file */
  blob: Buffer | null
  /** path relative to the data folder, or null when inline */
  filePath: string | null
  isBest: boolean
  createdAt: string
}

interface CheckpointRow {
  id: number
  run_id: number
  epoch: number
  sha256: string
  bytes: number
  blob: Buffer | null
  file_path: string | null
  is_best: number
  created_at: string
}

const SELECT_RUN = `
  SELECT r.*,
         (SELECT count(*) FROM epoch_metrics e WHERE e.run_id = r.id) AS epochs_done,
         EXISTS (SELECT 1 FROM checkpoints c WHERE c.run_id = r.id) AS has_checkpoint
  FROM runs r`

const parse = <T>(json: string | null): T | null => (json == null ? null : (JSON.parse(json) as T))

function toRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    datasetId: r.dataset_id,
    model: r.model,
    kind: r.kind,
    name: r.name,
    config: JSON.parse(r.config_json) as TrainSetup,
    status: r.status,
    error: r.error,
    errorCode: r.error_code,
    backend: parse<RunBackend>(r.backend_json),
    bestEpoch: r.best_epoch,
    test: parse<RunEvaluation>(r.test_json),
    splitKey: r.split_key,
    split: parse<RunSplit>(r.split_json),
    selection: parse<RunSelection>(r.selection_json),
    pertGraph: (r.pert_graph as RunPertGraph | null) ?? null,
    owner: r.owner,
    heartbeatAt: r.heartbeat_at ?? null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    epochsDone: r.epochs_done,
    hasCheckpoint: r.has_checkpoint === 1,
  }
}

function toCheckpoint(r: CheckpointRow): CheckpointRecord {
  return { id: r.id, runId: r.run_id, epoch: r.epoch, sha256: r.sha256, bytes: r.bytes, blob: r.blob, filePath: r.file_path, isBest: r.is_best === 1, createdAt: r.created_at }
}

/** NaN and ±Infinity become null in JSON; metrics keep them as null rather than failing the write. */
const json = (value: unknown) => JSON.stringify(value)

/** Runs, their per-epoch metrics and checkpoints. Every write is one statement or one transaction. */
export class RunsRepo {
  constructor(private readonly db: Db) {}

  insert(row: { projectId: number; datasetId: number; model: string; kind: 'model' | 'baseline'; name: string | null; config: TrainSetup; splitKey: string; owner: string }): RunRecord {
    const now = nowIso()
    const id = this.db.transaction(() => {
      const info = this.db
        .prepare(`INSERT INTO runs (project_id, dataset_id, model, kind, name, config_json, status, split_key, owner, heartbeat_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`)
        .run(row.projectId, row.datasetId, row.model, row.kind, row.name, json(row.config), row.splitKey, row.owner, now, now)
      this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, row.projectId)
      return Number(info.lastInsertRowid)
    })()
    return this.get(id)!
  }

  get(id: number): RunRecord | undefined {
    const row = this.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as RunRow | undefined
    return row && toRecord(row)
  }

  list(filter: { projectId?: number; datasetId?: number; includeBaselines?: boolean } = {}): RunRecord[] {
    const where: string[] = []
    const args: unknown[] = []
    if (filter.projectId !== undefined) {
      where.push('r.project_id = ?')
      args.push(filter.projectId)
    }
    if (filter.datasetId !== undefined) {
      where.push('r.dataset_id = ?')
      args.push(filter.datasetId)
    }
    if (filter.includeBaselines === false) where.push(`r.kind = 'model'`)
    const sql = `${SELECT_RUN}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id DESC`
    return (this.db.prepare(sql).all(...args) as RunRow[]).map(toRecord)
  }

  /** Baseline runs of a dataset and split that are done or on their way (not failed or cancelled). */
  baselines(datasetId: number, splitKey: string): RunRecord[] {
    const rows = this.db
      .prepare(`${SELECT_RUN} WHERE r.dataset_id = ? AND r.split_key = ? AND r.kind = 'baseline' AND r.status IN ('queued','running','completed') ORDER BY r.id DESC`)
      .all(datasetId, splitKey) as RunRow[]
    return rows.map(toRecord)
  }

  /** Runs some process was training or about to train; optionally only a project's or a dataset's. */
  active(filter: { projectId?: number; datasetId?: number } = {}): RunRecord[] {
    const scope = filter.projectId !== undefined ? ' AND r.project_id = ?' : filter.datasetId !== undefined ? ' AND r.dataset_id = ?' : ''
    const args = filter.projectId !== undefined ? [filter.projectId] : filter.datasetId !== undefined ? [filter.datasetId] : []
    return (this.db.prepare(`${SELECT_RUN} WHERE r.status IN ('queued','running')${scope} ORDER BY r.id`).all(...args) as RunRow[]).map(toRecord)
  }

  /** queued → running: records who trains it and on what. */
  markRunning(id: number, owner: string, backend: RunBackend): void {
    const now = nowIso()
    this.db.prepare(`UPDATE runs SET status = 'running', owner = ?, heartbeat_at = ?, backend_json = ?, started_at = coalesce(started_at, ?), error = NULL, error_code = NULL, finished_at = NULL WHERE id = ?`).run(owner, now, json(backend), now, id)
  }

  /** Back to the queue (resume): the error is cleared, epochs and checkpoints stay. */
  requeue(id: number, owner: string): void {
    this.db.prepare(`UPDATE runs SET status = 'queued', owner = ?, heartbeat_at = ?, error = NULL, error_code = NULL, finished_at = NULL WHERE id = ?`).run(owner, nowIso(), id)
  }

  /** The owning process is still there: refreshes the heartbeat of every run it has queued or running. */
  heartbeat(owner: string, at = nowIso()): number {
    return this.db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE owner = ? AND status IN ('queued','running')`).run(at, owner).changes
  }

  setSplit(id: number, split: RunSplit): void {
    this.db.prepare('UPDATE runs SET split_json = ? WHERE id = ?').run(json(split), id)
  }

  setPertGraph(id: number, graph: RunPertGraph): void {
    this.db.prepare('UPDATE runs SET pert_graph = ? WHERE id = ?').run(graph, id)
  }

  /** How cross-validation chose the run's epoch and α (docs/ml-engine.md §11.3). */
  setSelection(id: number, selection: RunSelection): void {
    this.db.prepare('UPDATE runs SET selection_json = ? WHERE id = ?').run(json(selection), id)
  }

  /** The run's last state: completed, failed or cancelled, with what it produced. */
  finish(id: number, end: { status: 'completed' | 'failed' | 'cancelled'; error?: { code: string; message: string }; bestEpoch?: number | null; test?: RunEvaluation | null }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, error_code = ?, best_epoch = coalesce(?, best_epoch), test_json = coalesce(?, test_json), finished_at = ? WHERE id = ?`,
      )
      .run(end.status, end.error?.message ?? null, end.error?.code ?? null, end.bestEpoch ?? null, end.test ? json(end.test) : null, nowIso(), id)
  }

  addEpoch(runId: number, report: RunEpoch, isBest: boolean): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, seconds, losses_json, val_json, lr, alpha, alpha_pairs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(runId, report.epoch, report.seconds, json(report.losses), json(report.val), report.lr, report.alpha ?? null, report.alphaPairs ?? null)
      if (isBest) this.db.prepare('UPDATE runs SET best_epoch = ? WHERE id = ?').run(report.epoch, runId)
    })()
  }

  epochs(runId: number): RunEpoch[] {
    const rows = this.db.prepare('SELECT epoch, seconds, losses_json, val_json, lr, alpha, alpha_pairs FROM epoch_metrics WHERE run_id = ? ORDER BY epoch').all(runId) as {
      epoch: number
      seconds: number | null
      losses_json: string
      val_json: string
      lr: number | null
      alpha: number | null
      alpha_pairs: number | null
    }[]
    return rows.map((r) => ({
      epoch: r.epoch,
      seconds: r.seconds ?? 0,
      losses: JSON.parse(r.losses_json),
      val: JSON.parse(r.val_json),
      lr: r.lr ?? 0,
      ...(r.alpha !== null ? { alpha: r.alpha } : {}),
      ...(r.alpha_pairs !== null ? { alphaPairs: r.alpha_pairs } : {}),
    }))
  }

  /** Resume: forget epochs after the checkpoint it continues from (they will be trained again). */
  dropEpochsAfter(runId: number, epoch: number): void {
    this.db.prepare('DELETE FROM epoch_metrics WHERE run_id = ? AND epoch > ?').run(runId, epoch)
  }

  /**
   * Adds a checkpoint; the best one is marked (and only one is), and every checkpoint but the best
   * and the latest is dropped. Returns the file paths that no checkpoint refers to any more.
   */
  addCheckpoint(cp: { runId: number; epoch: number; sha256: string; bytes: number; blob: Buffer | null; filePath: string | null; isBest: boolean }): string[] {
    return this.db.transaction(() => {
      if (cp.isBest) this.db.prepare('UPDATE checkpoints SET is_best = 0 WHERE run_id = ?').run(cp.runId)
      this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND epoch = ?').run(cp.runId, cp.epoch)
      this.db
        .prepare('INSERT INTO checkpoints (run_id, epoch, sha256, bytes, blob, file_path, is_best, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(cp.runId, cp.epoch, cp.sha256, cp.bytes, cp.blob, cp.filePath, cp.isBest ? 1 : 0, nowIso())
      const stale = this.db
        .prepare('SELECT file_path FROM checkpoints WHERE run_id = ? AND is_best = 0 AND epoch < (SELECT max(epoch) FROM checkpoints WHERE run_id = ?)')
        .pluck()
        .all(cp.runId, cp.runId) as (string | null)[]
      this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND is_best = 0 AND epoch < (SELECT max(epoch) FROM checkpoints WHERE run_id = ?)').run(cp.runId, cp.runId)
      return this.unreferenced(stale)
    })()
  }

  checkpoints(runId: number): CheckpointRecord[] {
    return (this.db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY epoch').all(runId) as CheckpointRow[]).map(toCheckpoint)
  }

  /** Deletes the run with its epochs and checkpoints; returns checkpoint files no other run uses. */
  delete(id: number): { deleted: boolean; files: string[] } {
    return this.db.transaction(() => {
      const files = this.db.prepare('SELECT file_path FROM checkpoints WHERE run_id = ?').pluck().all(id) as (string | null)[]
      const deleted = this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0
      return { deleted, files: this.unreferenced(files) }
    })()
  }

  /** Checkpoint files of a project's runs, taken before a cascade removes the rows. */
  checkpointFiles(filter: { projectId?: number; datasetId?: number }): string[] {
    const col = filter.projectId !== undefined ? 'project_id' : 'dataset_id'
    const value = filter.projectId ?? filter.datasetId
    return this.db
      .prepare(`SELECT DISTINCT c.file_path FROM checkpoints c JOIN runs r ON r.id = c.run_id WHERE r.${col} = ? AND c.file_path IS NOT NULL`)
      .pluck()
      .all(value) as string[]
  }

  /** Files among `paths` that no checkpoint row refers to (content-addressed files are shared). */
  unreferenced(paths: (string | null)[]): string[] {
    const check = this.db.prepare('SELECT 1 FROM checkpoints WHERE file_path = ? LIMIT 1').pluck()
    return [...new Set(paths.filter((p): p is string => p !== null))].filter((p) => check.get(p) === undefined)
  }
}
