import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import { AppError, type JobProgress } from '../../../src-shared/contract'
import type { KnowledgeBuildSummary, KnowledgeRelease, KnowledgeStatus, ProjectKnowledge } from '../../../src-shared/contract/channels/knowledge'
import type { Db } from '../../db/database'
import { atomicTarget, writeFileAtomic, type AtomicTarget } from '../../io/atomic-write'
import { buildKnowledgeFile } from './build'
import { KnowledgeBase } from './knowledge-base'
import { defaultReleaseLabel, describeSources, KNOWLEDGE_HELP, locateSources, scanSources } from './sources'

export interface KnowledgeServiceOptions {
  /** where release files live: `<home>/knowledge` */
  dir: string
  /** the knowledge folder builds read from unless told otherwise */
  sourceFolder: string
  /** the project database, for each project's choice of release (`app_settings`) */
  settings?: Db
  /** progress of builds (also the automatic first build), e.g. to the event bus */
  onProgress?: (progress: JobProgress) => void
  nativeBinding?: string
  log?: (message: string) => void
}

export interface BuildOptions {
  folder?: string
  release?: string
  /** rebuild even when an identical release exists; replace one with the same label */
  force?: boolean
  /** make the new release the default (yes unless false) */
  setDefault?: boolean
  /** id for the progress events (the client's, so it can match them to its request) */
  jobId?: string
}

const REGISTRY = 'registry.json'
const RELEASE_FILE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.sqlite$/

/**
 * Knowledge releases: each built into its own SQLite file under `<home>/knowledge/`
 * (into a temporary file first, renamed into place when complete, so a failed build leaves the
 * previous release untouched). `registry.json` there names the default release; a project may
 * pin another one.
 */
export class KnowledgeService {
  readonly dir: string
  readonly sourceFolder: string
  private readonly bases = new Map<string, KnowledgeBase>()
  private readonly summaries = new Map<string, { mtimeMs: number; summary: KnowledgeBuildSummary }>()
  private building?: AbortController
  /** the automatic first build, shared by every query that arrives while it runs */
  private ensuring?: Promise<KnowledgeStatus>
  private buildCount = 0

  constructor(private readonly options: KnowledgeServiceOptions) {
    this.dir = options.dir
    this.sourceFolder = options.sourceFolder
  }

  // ── releases ─────────────────────────────────────────────────────────────

  list(): KnowledgeRelease[] {
    const releases = this.scan()
    const def = this.resolveDefault(releases)
    return releases.map((r) => ({ ...r.summary, isDefault: r.release === def, file: r.file }))
  }

  status(): KnowledgeStatus {
    const releases = this.list()
    const def = releases.find((r) => r.isDefault)?.release ?? null
    return {
      ready: def !== null,
      defaultRelease: def,
      releases,
      sourceFolder: this.sourceFolder,
      sourceFiles: scanSources(this.sourceFolder).slots,
      building: this.building !== undefined,
      help: KNOWLEDGE_HELP(this.sourceFolder),
    }
  }

  setDefault(release: string): KnowledgeStatus {
    this.requireRelease(release)
    this.writeRegistry({ default: release })
    return this.status()
  }

  delete(release: string): { deleted: string } {
    const file = this.requireRelease(release)
    this.bases.get(release)?.close()
    this.bases.delete(release)
    this.summaries.delete(release)
    fs.rmSync(file, { force: true })
    if (this.readRegistry().default === release) this.writeRegistry({ default: null })
    return { deleted: release }
  }

  /**
   * Builds a release from a knowledge folder. An identical release (same label and source
   * hashes) is kept as it is unless `force`. Throws `knowledge.*` errors naming file and fix;
   * on any failure the previous releases and the default stay as they were.
   */
  async build(options: BuildOptions = {}): Promise<KnowledgeBuildSummary> {
    if (this.building) throw new AppError('knowledge.busy', 'A knowledge build is already running. Wait for it to finish, or cancel it first.')
    const controller = new AbortController()
    this.building = controller
    const jobId = options.jobId ?? `knowledge-build-${++this.buildCount}`
    const report = (fraction: number, message: string) => this.options.onProgress?.({ jobId, kind: 'knowledge-build', fraction, message })
    const startedAt = Date.now()
    let out: AtomicTarget | undefined
    try {
      const folder = path.resolve(options.folder ?? this.sourceFolder)
      report(0, `Hashing the knowledge files in ${folder}`)
      const located = locateSources(folder)
      const sources = await describeSources(located)
      const release = options.release ?? defaultReleaseLabel(sources)
      const existing = this.scan().find((r) => r.release === release)
      if (existing && !options.force) {
        const same = JSON.stringify(existing.summary.sources.map((s) => [s.role, s.sha256])) === JSON.stringify(sources.map((s) => [s.role, s.sha256]))
        if (!same) {
          throw new AppError('knowledge.release-exists', `Release ${release} already exists and was built from other files. Choose another --release label, or replace it with --force.`)
        }
        if (options.setDefault !== false) this.writeRegistry({ default: release })
        report(1, `Release ${release} is already built from these files`)
        return { ...existing.summary, reused: true }
      }
      fs.mkdirSync(this.dir, { recursive: true })
      const final = this.fileOf(release)
      out = atomicTarget(final)
      const summary = await buildKnowledgeFile({ located, sources, release, outFile: out.tmp, startedAt, signal: controller.signal, onProgress: report, nativeBinding: this.options.nativeBinding })
      this.bases.get(release)?.close()
      this.bases.delete(release)
      this.summaries.delete(release)
      out.commit()
      if (options.setDefault !== false || this.resolveDefault(this.scan()) === null) this.writeRegistry({ default: release })
      return summary
    } catch (err) {
      if (err instanceof AppError) throw err
      throw new AppError('knowledge.build-failed', `Building the knowledge base failed: ${(err as Error).message}. The previous knowledge base is still in use.`)
    } finally {
      out?.abort()
      this.building = undefined
    }
  }

  cancelBuild(): { cancelled: boolean } {
    if (!this.building) return { cancelled: false }
    this.building.abort()
    return { cancelled: true }
  }

  /** Builds from the knowledge folder when no release exists yet (and the folder has files). */
  async ensure(folder?: string): Promise<KnowledgeStatus> {
    if (this.resolveDefault(this.scan()) !== null) return this.status()
    this.ensuring ??= (async () => {
      const f = folder ?? this.sourceFolder
      this.options.log?.(`No knowledge base yet: building one from ${f}`)
      try {
        await this.build({ folder: f })
        return this.status()
      } finally {
        this.ensuring = undefined
      }
    })()
    return this.ensuring
  }

  /**
   * The release to query: the named one, else the default. With no release at all, builds one
   * from the knowledge folder first, or says exactly how to provide the files.
   */
  async base(release?: string): Promise<KnowledgeBase> {
    let name = release ?? this.resolveDefault(this.scan())
    if (name === null) {
      if (scanSources(this.sourceFolder).slots.some((s) => s.found)) {
        await this.ensure()
        name = this.resolveDefault(this.scan())
      }
      if (name === null) throw new AppError('knowledge.missing', `No knowledge base has been built yet.\n${KNOWLEDGE_HELP(this.sourceFolder)}`)
    }
    let base = this.bases.get(name)
    if (!base) {
      base = new KnowledgeBase(this.requireRelease(name), this.options.nativeBinding)
      this.bases.set(name, base)
    }
    return base
  }

  /**
   * Unambiguous alias → symbol map of a release (default: the default one), for renaming a
   * dataset's genes; undefined when no release has been built (never builds one).
   */
  async aliases(release?: string): Promise<ReadonlyMap<string, string> | undefined> {
    if (release === undefined && this.resolveDefault(this.scan()) === null) return undefined
    return (await this.base(release)).aliasToSymbol()
  }

  // ── per-project choice ───────────────────────────────────────────────────

  projectRelease(projectId: number): ProjectKnowledge {
    const pinned = this.settings().prepare('SELECT value FROM app_settings WHERE key = ?').pluck().get(projectKey(projectId)) as string | undefined
    const releases = this.scan()
    const exists = pinned !== undefined && releases.some((r) => r.release === pinned)
    return { projectId, release: pinned ?? null, effective: exists ? pinned! : this.resolveDefault(releases) }
  }

  setProjectRelease(projectId: number, release: string | null): ProjectKnowledge {
    if (release === null) this.settings().prepare('DELETE FROM app_settings WHERE key = ?').run(projectKey(projectId))
    else {
      this.requireRelease(release)
      this.settings().prepare('INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(projectKey(projectId), release)
    }
    return this.projectRelease(projectId)
  }

  close(): void {
    this.building?.abort()
    for (const b of this.bases.values()) b.close()
    this.bases.clear()
  }

  // ── internals ────────────────────────────────────────────────────────────

  private settings(): Db {
    if (!this.options.settings) throw new AppError('knowledge.no-settings', 'Per-project knowledge releases need the project database, which this knowledge service was not given.')
    return this.options.settings
  }

  private fileOf(release: string): string {
    return path.join(this.dir, `${release}.sqlite`)
  }

  private requireRelease(release: string): string {
    const file = this.fileOf(release)
    if (!RELEASE_FILE.test(path.basename(file)) || !fs.existsSync(file)) {
      const names = this.scan().map((r) => r.release)
      throw new AppError(
        'knowledge.unknown-release',
        `There is no knowledge release "${release}". ${names.length ? `Releases: ${names.join(', ')}.` : 'None has been built yet: run perturb-studio knowledge build.'}`,
      )
    }
    return file
  }

  /** Release files in the folder with their recorded summaries (unreadable files are skipped with a log line). */
  private scan(): { release: string; file: string; summary: KnowledgeBuildSummary }[] {
    let names: string[]
    try {
      names = fs.readdirSync(this.dir)
    } catch {
      return []
    }
    const out = []
    for (const n of names.sort()) {
      const m = RELEASE_FILE.exec(n)
      if (!m) continue
      const file = path.join(this.dir, n)
      try {
        const mtimeMs = fs.statSync(file).mtimeMs
        let cached = this.summaries.get(m[1])
        if (!cached || cached.mtimeMs !== mtimeMs) {
          cached = { mtimeMs, summary: readSummary(file, this.options.nativeBinding) }
          this.summaries.set(m[1], cached)
        }
        out.push({ release: m[1], file, summary: cached.summary })
      } catch (err) {
        this.options.log?.(`Skipping ${file}: ${(err as Error).message}`)
      }
    }
    return out
  }

  private resolveDefault(releases: { release: string; summary: KnowledgeBuildSummary }[]): string | null {
    const chosen = this.readRegistry().default
    if (chosen && releases.some((r) => r.release === chosen)) return chosen
    // No (valid) choice recorded: the most recently built release.
    const newest = [...releases].sort((a, b) => b.summary.builtAt.localeCompare(a.summary.builtAt))[0]
    return newest?.release ?? null
  }

  private readRegistry(): { default: string | null } {
    try {
      const parsed = JSON.parse(fs.readFileSync(path.join(this.dir, REGISTRY), 'utf8')) as { default?: unknown }
      return { default: typeof parsed.default === 'string' ? parsed.default : null }
    } catch {
      return { default: null }
    }
  }

  private writeRegistry(registry: { default: string | null }): void {
    writeFileAtomic(path.join(this.dir, REGISTRY), `${JSON.stringify(registry, null, 2)}\n`)
  }
}

function projectKey(projectId: number): string {
  return `project.${projectId}.knowledge-release`
}

function readSummary(file: string, nativeBinding?: string): KnowledgeBuildSummary {
  const db = new Database(file, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) })
  try {
    const value = db.prepare("SELECT value FROM meta WHERE key = 'summary'").pluck().get() as string | undefined
    if (!value) throw new Error('no summary recorded')
    return JSON.parse(value) as KnowledgeBuildSummary
  } finally {
    db.close()
  }
}
