import type { PredictedGeneFlag } from '../../src-shared/contract'
import { nowIso, type Db } from './database'

/** What a history entry keeps beside its result blob (the list is read without the blobs). */
export interface PredictionParams {
  flags: PredictedGeneFlag[]
  measured: boolean
  controlCells: number | 'all'
  seed: number
  topChanges: { gene: string; change: number }[]
  /** result blob encoding */
  encoding: 'json+gzip'
}

export interface PredictionRecord {
  id: number
  runId: number
  condition: string
  params: PredictionParams
  sha256: string | null
  createdAt: string
}

interface Row {
  id: number
  run_id: number
  condition: string
  params_json: string
  result_sha256: string | null
  created_at: string
}

const toRecord = (r: Row): PredictionRecord => ({ id: r.id, runId: r.run_id, condition: r.condition, params: JSON.parse(r.params_json) as PredictionParams, sha256: r.result_sha256, createdAt: r.created_at })

/** Stored predictions (migration 1's `predictions` table): one row per predicted condition, removed with its run. */
export class PredictionsRepo {
  constructor(private readonly db: Db) {}

  insert(row: { runId: number; condition: string; params: PredictionParams; sha256: string; blob: Buffer }): PredictionRecord {
    const info = this.db
      .prepare('INSERT INTO predictions (run_id, condition, params_json, result_sha256, result_blob, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.runId, row.condition, JSON.stringify(row.params), row.sha256, row.blob, nowIso())
    return this.get(Number(info.lastInsertRowid))!
  }

  get(id: number): PredictionRecord | undefined {
    const row = this.db.prepare('SELECT id, run_id, condition, params_json, result_sha256, created_at FROM predictions WHERE id = ?').get(id) as Row | undefined
    return row && toRecord(row)
  }

  blob(id: number): Buffer | null {
    return (this.db.prepare('SELECT result_blob FROM predictions WHERE id = ?').pluck().get(id) as Buffer | null | undefined) ?? null
  }

  /** Newest first. */
  list(runId: number, limit: number): PredictionRecord[] {
    return (this.db.prepare('SELECT id, run_id, condition, params_json, result_sha256, created_at FROM predictions WHERE run_id = ? ORDER BY id DESC LIMIT ?').all(runId, limit) as Row[]).map(toRecord)
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM predictions WHERE id = ?').run(id).changes > 0
  }
}
