import { nowIso, type Db } from './database'

/** Which run or which runs: one run, every run of a dataset, or every run of a project. */
export type MapOwner = { runId: number } | { datasetId: number } | { projectId: number }

/**
 * The pair maps kept under `design-maps/` (migration 6's `design_maps`): a row per map, deleted
 * with its run by ON DELETE CASCADE. The map's files are named by its id.
 */
export class DesignMapsRepo {
  constructor(private readonly db: Db) {}

  insert(mapId: number, runId: number): void {
    this.db.prepare('INSERT INTO design_maps (id, run_id, created_at) VALUES (?, ?, ?)').run(mapId, runId, nowIso())
  }

  has(mapId: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM design_maps WHERE id = ?').get(mapId)
  }

  runExists(runId: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId)
  }

  /** Ids of the maps of existing runs, optionally of one run; newest first. */
  ids(runId?: number): number[] {
    const rows = (runId === undefined ? this.db.prepare('SELECT id FROM design_maps ORDER BY id DESC').all() : this.db.prepare('SELECT id FROM design_maps WHERE run_id = ? ORDER BY id DESC').all(runId)) as { id: number }[]
    return rows.map((r) => r.id)
  }

  /** Ids of the maps a delete of this run, dataset or project cascades to. */
  idsIn(scope: MapOwner): number[] {
    const [where, arg] = 'runId' in scope ? ['m.run_id = ?', scope.runId] : 'datasetId' in scope ? ['r.dataset_id = ?', scope.datasetId] : ['r.project_id = ?', scope.projectId]
    return (this.db.prepare(`SELECT m.id FROM design_maps m JOIN runs r ON r.id = m.run_id WHERE ${where}`).all(arg) as { id: number }[]).map((r) => r.id)
  }

  maxId(): number {
    return (this.db.prepare('SELECT max(id) AS m FROM design_maps').get() as { m: number | null }).m ?? 0
  }

  delete(mapId: number): boolean {
    return this.db.prepare('DELETE FROM design_maps WHERE id = ?').run(mapId).changes > 0
  }
}
