import type { DatasetSummary } from '../../src-shared/contract'
import { nowIso, type Db } from './database'

interface DatasetRow {
  id: number
  project_id: number
  name: string
  source_path: string | null
  format: string
  summary_json: string
  storage_dir: string | null
  created_at: string
}

/** What is kept per dataset in SQLite: the summary and where its arrays live (relative to the data folder). */
export interface DatasetRecord {
  summary: DatasetSummary
  storageDir: string
}

/** The stored summary minus the fields the row itself holds. */
export type StoredSummary = Omit<DatasetSummary, 'datasetId' | 'projectId' | 'name' | 'sourcePath' | 'format' | 'createdAt'>

function toRecord(r: DatasetRow): DatasetRecord {
  const stored = JSON.parse(r.summary_json) as StoredSummary
  return {
    storageDir: r.storage_dir ?? '',
    summary: {
      ...stored,
      datasetId: r.id,
      projectId: r.project_id,
      name: r.name,
      sourcePath: r.source_path ?? '',
      format: r.format as DatasetSummary['format'],
      createdAt: r.created_at,
    },
  }
}

export class DatasetsRepo {
  constructor(private readonly db: Db) {}

  insert(row: { projectId: number; name: string; sourcePath: string; format: string; storageDir: string; summary: StoredSummary }): DatasetRecord {
    const now = nowIso()
    const tx = this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO datasets (project_id, name, source_path, format, summary_json, storage_dir, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(row.projectId, row.name, row.sourcePath, row.format, JSON.stringify(row.summary), row.storageDir, now)
      this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, row.projectId)
      return Number(info.lastInsertRowid)
    })
    return this.get(tx())!
  }

  get(id: number): DatasetRecord | undefined {
    const r = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
    return r && toRecord(r)
  }

  list(projectId?: number): DatasetRecord[] {
    const rows = (
      projectId === undefined
        ? this.db.prepare('SELECT * FROM datasets ORDER BY created_at DESC, id DESC').all()
        : this.db.prepare('SELECT * FROM datasets WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId)
    ) as DatasetRow[]
    return rows.map(toRecord)
  }

  /** Storage folders of every dataset of a project (to remove their files with the project). */
  storageDirsOfProject(projectId: number): string[] {
    return (this.db.prepare('SELECT storage_dir FROM datasets WHERE project_id = ? AND storage_dir IS NOT NULL').all(projectId) as { storage_dir: string }[]).map((r) => r.storage_dir)
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0
  }
}
