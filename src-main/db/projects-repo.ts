import type { Project, ProjectRun, RunSummary, RunStatus } from '../../src-shared/contract'
import { nowIso, type Db } from './database'

interface ProjectRow {
  id: number
  name: string
  created_at: string
  updated_at: string
  dataset_count: number
  run_count: number
}

interface RunRow {
  id: number
  project_id: number
  dataset_id: number | null
  model: string
  status: RunStatus
  created_at: string
  finished_at: string | null
  error: string | null
}

const SELECT_PROJECT = `
  SELECT p.id, p.name, p.created_at, p.updated_at,
         (SELECT count(*) FROM datasets d WHERE d.project_id = p.id) AS dataset_count,
         (SELECT count(*) FROM runs r WHERE r.project_id = p.id AND r.kind = 'model') AS run_count
  FROM projects p`

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    datasetCount: r.dataset_count,
    runCount: r.run_count,
  }
}

export function toRunSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    projectId: r.project_id,
    datasetId: r.dataset_id,
    model: r.model,
    status: r.status,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    error: r.error,
  }
}

/** Projects table access. Every write is a single statement or one transaction. */
export class ProjectsRepo {
  constructor(private readonly db: Db) {}

  list(): Project[] {
    return (this.db.prepare(`${SELECT_PROJECT} ORDER BY p.updated_at DESC, p.id DESC`).all() as ProjectRow[]).map(toProject)
  }

  get(id: number): Project | undefined {
    const row = this.db.prepare(`${SELECT_PROJECT} WHERE p.id = ?`).get(id) as ProjectRow | undefined
    return row && toProject(row)
  }

  create(name: string): Project {
    const now = nowIso()
    const info = this.db.prepare('INSERT INTO projects (name, created_at, updated_at) VALUES (?, ?, ?)').run(name, now, now)
    return this.get(Number(info.lastInsertRowid))!
  }

  rename(id: number, name: string): Project | undefined {
    const info = this.db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, nowIso(), id)
    return info.changes ? this.get(id) : undefined
  }

  /** Deletes the project and, through ON DELETE CASCADE, its datasets, runs and their records. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes > 0
  }

  findByName(name: string): Project | undefined {
    const row = this.db.prepare(`${SELECT_PROJECT} WHERE p.name = ? ORDER BY p.id LIMIT 1`).get(name) as ProjectRow | undefined
    return row && toProject(row)
  }

  /** The newest model runs, each with its number among the project's model runs (baselines are not runs of their own). */
  recentRuns(projectId: number, limit = 10): ProjectRun[] {
    const rows = this.db
      .prepare(
        `SELECT id, project_id, dataset_id, model, status, created_at, finished_at, error, name,
                (SELECT count(*) FROM runs o WHERE o.project_id = r.project_id AND o.kind = 'model' AND o.id <= r.id) AS number
         FROM runs r WHERE project_id = ? AND kind = 'model' ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(projectId, limit) as (RunRow & { name: string | null; number: number })[]
    return rows.map((r) => ({ ...toRunSummary(r), number: r.number, name: r.name }))
  }
}
