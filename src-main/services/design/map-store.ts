/**
 * Stored pair maps, so the Design screen can reopen one without recomputing: one gzipped JSON
 * per map under `<home>/design-maps/`, beside a small summary file the list reads (a 5,460-pair
 * map is a few MB of JSON; listing should not inflate every one). Written to a temporary name and
 * renamed, so a crash never leaves half a map. Each map is recorded with its run in the database
 * (`design_maps`, migration 6): the row goes with its run by ON DELETE CASCADE, and the service
 * that deletes a run, dataset or project removes the files of the maps it cascades to
 * (`filesRemover`). Only recorded maps are listed or opened.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { writeFileAtomic } from '../../io/atomic-write'
import { AppError, type GiMap, type GiMapSummary } from '../../../src-shared/contract'
import type { DesignMapsRepo, MapOwner } from '../../db/design-maps-repo'

const FILE = /^map-(\d+)\.json\.gz$/

export class MapStore {
  constructor(
    private readonly dir: string,
    private readonly repo: DesignMapsRepo,
  ) {
    this.adoptUnrecorded()
  }

  static forHome(home: string, repo: DesignMapsRepo): MapStore {
    return new MapStore(path.join(home, 'design-maps'), repo)
  }

  /** The next free id (ids are never reused while the folder exists). */
  nextId(): number {
    let max = 0
    for (const f of this.files()) max = Math.max(max, Number(FILE.exec(f)![1]))
    max = Math.max(max, this.repo.maxId())
    const marker = this.markerPath()
    if (fs.existsSync(marker)) max = Math.max(max, Number(fs.readFileSync(marker, 'utf8')) || 0)
    return max + 1
  }

  /** Records the map with its run, then writes its files; the row is removed if writing fails. */
  save(map: GiMap): void {
    if (!this.repo.runExists(map.runId)) throw new AppError('run.not-found', `Run ${map.runId} was deleted while its pair map was computed; the map was not kept.`)
    this.repo.insert(map.mapId, map.runId)
    try {
      this.writeFiles(map)
    } catch (err) {
      this.repo.delete(map.mapId)
      this.removeFiles(map.mapId)
      throw err
    }
    // Its run went while the files were written: the cascade took the row, so take the files too.
    if (!this.repo.has(map.mapId)) this.removeFiles(map.mapId)
  }

  private writeFiles(map: GiMap): void {
    writeFileAtomic(this.summaryPath(map.mapId), Buffer.from(JSON.stringify(summaryOf(map))))
    writeFileAtomic(this.mapPath(map.mapId), zlib.gzipSync(JSON.stringify(map), { level: 6 }))
    writeFileAtomic(this.markerPath(), String(map.mapId))
  }

  list(runId?: number): GiMapSummary[] {
    const out: GiMapSummary[] = []
    for (const id of this.repo.ids(runId)) {
      if (!fs.existsSync(this.mapPath(id))) continue
      try {
        const s = JSON.parse(fs.readFileSync(this.summaryPath(id), 'utf8')) as GiMapSummary
        if (runId === undefined || s.runId === runId) out.push(s)
      } catch {
        // A map without its summary is read whole.
        const m = this.tryGet(id)
        if (m && (runId === undefined || m.runId === runId)) out.push(summaryOf(m))
      }
    }
    return out.sort((a, b) => b.mapId - a.mapId)
  }

  get(mapId: number): GiMap {
    const m = this.repo.has(mapId) ? this.tryGet(mapId) : null
    if (!m) throw new AppError('design.map-not-found', `No pair map with id ${mapId}. List them with design:maps (CLI: perturb-studio gi --list).`)
    return m
  }

  delete(mapId: number): { deleted: number } {
    if (!this.repo.has(mapId) || !fs.existsSync(this.mapPath(mapId))) throw new AppError('design.map-not-found', `No pair map with id ${mapId}.`)
    this.repo.delete(mapId)
    this.removeFiles(mapId)
    return { deleted: mapId }
  }

  /**
   * Taken before a run, dataset or project is deleted: the ids of the maps its delete cascades to,
   * and a function that removes their files once the rows are gone.
   */
  filesRemover(scope: MapOwner): () => void {
    const ids = this.repo.idsIn(scope)
    return () => {
      for (const id of ids) if (!this.repo.has(id)) this.removeFiles(id)
    }
  }

  /**
   * Maps stored before migration 6 have no row: record those whose run still exists and remove
   * the files of the others (their run was deleted, and they were listed by mistake).
   */
  private adoptUnrecorded(): void {
    for (const f of this.files()) {
      const id = Number(FILE.exec(f)![1])
      if (this.repo.has(id)) continue
      let runId: number | undefined
      try {
        runId = (JSON.parse(fs.readFileSync(this.summaryPath(id), 'utf8')) as GiMapSummary).runId
      } catch {
        try {
          runId = this.tryGet(id)?.runId
        } catch {
          runId = undefined // unreadable: it cannot be reopened either
        }
      }
      if (runId !== undefined && this.repo.runExists(runId)) this.repo.insert(id, runId)
      else this.removeFiles(id)
    }
  }

  private removeFiles(id: number): void {
    fs.rmSync(this.mapPath(id), { force: true })
    fs.rmSync(this.summaryPath(id), { force: true })
  }

  private tryGet(mapId: number): GiMap | null {
    const file = this.mapPath(mapId)
    if (!fs.existsSync(file)) return null
    try {
      return JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as GiMap
    } catch {
      throw new AppError('design.map-corrupt', `Pair map ${mapId} cannot be read (${file}); compute it again.`)
    }
  }

  private files(): string[] {
    if (!fs.existsSync(this.dir)) return []
    return fs.readdirSync(this.dir).filter((f) => FILE.test(f))
  }

  private mapPath(id: number) {
    return path.join(this.dir, `map-${id}.json.gz`)
  }

  private summaryPath(id: number) {
    return path.join(this.dir, `map-${id}.summary.json`)
  }

  private markerPath() {
    return path.join(this.dir, 'last-id')
  }
}

export function summaryOf(m: GiMap): GiMapSummary {
  const { mapId, name, runId, model, datasetId, datasetName, origin, geneCount, pairCount, scope, seconds, createdAt } = m
  return { mapId, name, runId, model, datasetId, datasetName, origin, geneCount, pairCount, scope, seconds, createdAt }
}
