import type { ExportFormat, ExportRecord } from '../../src-shared/contract'
import { nowIso, type Db } from './database'

interface Row {
  id: number
  project_id: number | null
  run_id: number | null
  kind: string
  format: ExportFormat
  file_path: string
  created_at: string
}

const toRecord = (r: Row): ExportRecord => ({ id: r.id, projectId: r.project_id, runId: r.run_id, kind: r.kind, format: r.format, path: r.file_path, createdAt: r.created_at })

/** Every file the app exported (migration 1's `exports` table). */
export class ExportsRepo {
  constructor(private readonly db: Db) {}

  insert(row: { projectId: number | null; runId: number | null; kind: string; format: ExportFormat; path: string }): ExportRecord {
    // A run or project deleted meanwhile: keep the record of the file without the dangling reference.
    const runId = row.runId !== null && this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(row.runId) ? row.runId : null
    const projectId = row.projectId !== null && this.db.prepare('SELECT 1 FROM projects WHERE id = ?').get(row.projectId) ? row.projectId : null
    const info = this.db
      .prepare('INSERT INTO exports (project_id, run_id, kind, format, file_path, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(projectId, runId, row.kind, row.format, row.path, nowIso())
    return this.get(Number(info.lastInsertRowid))!
  }

  get(id: number): ExportRecord | undefined {
    const row = this.db.prepare('SELECT * FROM exports WHERE id = ?').get(id) as Row | undefined
    return row && toRecord(row)
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM exports WHERE id = ?').run(id).changes > 0
  }

  /** Paths of the files exported for a project (its rows go with it by ON DELETE CASCADE). */
  pathsOfProject(projectId: number): string[] {
    return (this.db.prepare('SELECT file_path FROM exports WHERE project_id = ?').all(projectId) as { file_path: string }[]).map((r) => r.file_path)
  }

  /** Newest first. */
  list(filter: { projectId?: number; runId?: number; limit: number }): ExportRecord[] {
    const where: string[] = []
    const args: number[] = []
    if (filter.projectId !== undefined) {
      where.push('project_id = ?')
      args.push(filter.projectId)
    }
    if (filter.runId !== undefined) {
      where.push('run_id = ?')
      args.push(filter.runId)
    }
    const sql = `SELECT * FROM exports ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
    return (this.db.prepare(sql).all(...args, filter.limit) as Row[]).map(toRecord)
  }
}
