/**
 * Stored pair maps, so the Design screen can reopen one without recomputing: one gzipped JSON
 * per map under `<home>/design-maps/`, beside a small summary file the list reads (a 5,460-pair
 * map is a few MB of JSON; listing should not inflate every one). Written to a temporary name and
 * renamed, so a crash never leaves half a map.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { writeFileAtomic } from '../../atomic-write'
import { AppError, type GiMap, type GiMapSummary } from '../../../src-shared/contract'

const FILE = /^map-(\d+)\.json\.gz$/

export class MapStore {
  constructor(private readonly dir: string) {}

  static forHome(home: string): MapStore {
    return new MapStore(path.join(home, 'design-maps'))
  }

  /** The next free id (ids are never reused while the folder exists). */
  nextId(): number {
    let max = 0
    for (const f of this.files()) max = Math.max(max, Number(FILE.exec(f)![1]))
    const marker = this.markerPath()
    if (fs.existsSync(marker)) max = Math.max(max, Number(fs.readFileSync(marker, 'utf8')) || 0)
    return max + 1
  }

  save(map: GiMap): void {
    writeFileAtomic(this.summaryPath(map.mapId), Buffer.from(JSON.stringify(summaryOf(map))))
    writeFileAtomic(this.mapPath(map.mapId), zlib.gzipSync(JSON.stringify(map), { level: 6 }))
    writeFileAtomic(this.markerPath(), String(map.mapId))
  }

  list(runId?: number): GiMapSummary[] {
    const out: GiMapSummary[] = []
    for (const f of this.files()) {
      const id = Number(FILE.exec(f)![1])
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
    const m = this.tryGet(mapId)
    if (!m) throw new AppError('design.map-not-found', `No pair map with id ${mapId}. List them with design:maps (CLI: perturb-studio gi --list).`)
    return m
  }

  delete(mapId: number): { deleted: number } {
    if (!fs.existsSync(this.mapPath(mapId))) throw new AppError('design.map-not-found', `No pair map with id ${mapId}.`)
    fs.rmSync(this.mapPath(mapId), { force: true })
    fs.rmSync(this.summaryPath(mapId), { force: true })
    return { deleted: mapId }
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
