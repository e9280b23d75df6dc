import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  AppError,
  type ConditionDe,
  type ConditionRow,
  type DatasetDetail,
  type DatasetPreview,
  type DatasetSummary,
  type DeHeatmap,
  type DeTable,
} from '../../../src-shared/contract'
import { CONTROL, canonicalCondition, mapToConditions, suggestConditionColumns, suggestControlLabels } from '../../../src-shared/domain/conditions'
import { DE_TEST } from '../../../src-shared/domain/differential-expression'
import { defaultDatasetName } from '../../../src-shared/domain/dataset-name'
import type { DatasetsRepo, StoredSummary } from '../../db/datasets-repo'
import { previewDataset, readDataset, type FormatChoice } from '../../io/read-dataset'
import type { RawDataset } from '../../io/raw-dataset'
import type { Job } from '../jobs'
import { scanSources } from '../knowledge/sources'
import type { SyntheticPreset } from '../../synthetic/types'
import { synthesizeToFile } from '../../synthetic/write'
import type { ProjectsService } from '../projects'
import { cellGuidesOf } from './cell-guides'
import { allConditionTests, conditionTests, deGene, deHeatmap, targetKnockdown, testResult, type HeatmapOptions } from './de-tables'
import { loadDataset, saveDataset, sweepPartialDatasets, type PartialSweep } from './dataset-store'
import { contentHash, duplicateWarning, findDuplicates } from './duplicates'
import type { PreparedDataset } from './prepared-dataset'
import { preprocessDataset } from './preprocess'

export interface ReadInput {
  path: string
  format: FormatChoice
  metadata?: string
  barcodeColumn?: string
  orientation?: 'cells-by-genes' | 'genes-by-cells'
}

export interface ImportInput extends ReadInput {
  projectId: number
  name?: string
  conditionColumn: string
  controlLabels: string[]
}

export interface DatasetServiceDeps {
  home: string
  repo: DatasetsRepo
  projects: ProjectsService
  /** the folder with the Reactome and NCBI files (for the synthetic demo) */
  knowledgeSources: string
  /** alias → approved symbol from the project's knowledge release, when one is installed */
  aliases?: (projectId: number) => Promise<ReadonlyMap<string, string> | undefined>
}

/** Where prepared datasets live, relative to the data folder. */
const STORAGE_ROOT = 'datasets'
/** Where browser-mode uploads land under the data folder (server/upload.ts `uploadsDir`). */
const UPLOADS_DIR = 'uploads'
/** Prepared datasets kept in memory (training and prediction reopen the same one repeatedly). */
const CACHE_SIZE = 2

/**
 * Dataset use-cases: preview a file, import it (read → map conditions → preprocess → store),
 * list, show, DE view, delete. An import either stores everything or nothing.
 */
export class DatasetService {
  private readonly cache = new Map<number, PreparedDataset>()

  constructor(private readonly deps: DatasetServiceDeps) {}

  /** With a project id, the preview also names the project's datasets that already hold this data. */
  async preview(input: ReadInput & { projectId?: number }): Promise<DatasetPreview> {
    const p = await previewDataset(input.path, this.readOptions(input))
    const duplicates =
      input.projectId === undefined
        ? undefined
        : findDuplicates(this.list(input.projectId), { contentHash: await contentHash(input.path, input.metadata).catch(() => undefined), sourcePath: input.path, cells: p.cells, genes: p.genes })
    const [idName, ...annotationNames] = p.firstRows.columns
    const suggestedColumns = suggestConditionColumns(
      p.obsColumns.map((c) => ({ name: c.name, values: c.examples })),
    )
    const suggestedControlLabels: Record<string, string[]> = {}
    for (const c of p.obsColumns) suggestedControlLabels[c.name] = suggestControlLabels(c.examples).map((l) => l.label)
    return {
      path: p.path,
      format: p.format,
      cells: p.cells,
      genes: p.genes,
      obsColumns: p.obsColumns.map((c) => ({ name: c.name, type: c.type, distinct: c.distinct, examples: c.examples })),
      firstRows: p.firstRows.rows.map((row) =>
        Object.fromEntries([[idName || 'cell', String(row[0] ?? '')], ...annotationNames.map((c, i) => [c, row[i + 1] == null ? '' : String(row[i + 1])])]),
      ),
      suggestedConditionColumn: suggestedColumns[0]?.name ?? null,
      suggestedControlLabels,
      orientation: p.layout?.orientation,
      warnings: [...p.warnings, ...(p.layout ? [`Read as ${p.layout.orientation.replace(/-/g, ' ')}: ${p.layout.reason}`] : [])],
      ...(duplicates ? { duplicates } : {}),
    }
  }

  async import(input: ImportInput, job: Job): Promise<DatasetSummary> {
    this.deps.projects.require(input.projectId)
    job.progress(0.01, 'Reading the file')
    const raw = await readDataset(input.path, {
      ...this.readOptions(input),
      signal: job.signal,
      onProgress: (f, m) => job.progress(0.01 + 0.5 * f, m),
    })
    job.throwIfCancelled()
    const aliases = await this.deps.aliases?.(input.projectId)
    const name = input.name ?? defaultDatasetName([input.path], input.path)
    const hash = await contentHash(input.path, input.metadata).catch(() => undefined)
    const duplicates = findDuplicates(this.list(input.projectId), { contentHash: hash, sourcePath: input.path, cells: raw.cells.length, genes: raw.genes.id.length })
    const summary = await this.importRaw(input.projectId, raw, { name, conditionColumn: input.conditionColumn, controlLabels: input.controlLabels, aliases, contentHash: hash }, job)
    // Said on this import only: the older copy may be deleted later, and this one is then the only one.
    const warning = duplicateWarning(duplicates)
    return warning ? { ...summary, warnings: [...summary.warnings, warning] } : summary
  }

  /**
   * Maps conditions, preprocesses, stores the arrays and then the row; the folder is removed if
   * anything after it fails, so an import leaves everything or nothing.
   */
  async importRaw(
    projectId: number,
    raw: RawDataset,
    options: { name: string; conditionColumn: string; controlLabels: string[]; aliases?: ReadonlyMap<string, string>; contentHash?: string },
    job: Job,
  ): Promise<DatasetSummary> {
    const project = this.deps.projects.require(projectId)
    const file = path.basename(raw.source.path)
    const { conditionColumn, controlLabels } = options
    const column = raw.obs[conditionColumn]
    if (!column) {
      throw new AppError('dataset.unknown-column', `${file} has no cell annotation column "${conditionColumn}". Columns: ${Object.keys(raw.obs).join(', ') || '(none)'}.`)
    }
    // Measured genes and perturbed genes go through the same aliases, so a renamed target
    // (MARCH8 → MARCHF8) still finds its own expression.
    const geneRenames = options.aliases ? renameMeasuredGenes(raw, options.aliases) : []
    const values = column.type === 'number' ? Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v))) : column.values.map((v) => (v == null ? null : String(v)))
    const mapping = mapToConditions(values, { controlLabels, aliases: options.aliases })
    if (mapping.controlCells === 0) {
      throw new AppError(
        'dataset.no-control-cells',
        `No cell of ${file} has a control label in column "${conditionColumn}" (looked for: ${[CONTROL, ...controlLabels].join(', ')}). Choose the label your screen uses for non-targeting guides.`,
      )
    }
    if (!mapping.counts.some((c) => c.condition !== CONTROL)) {
      throw new AppError('dataset.no-perturbations', `Every mapped cell of ${file} is a control cell: the column "${conditionColumn}" names no perturbed gene.`)
    }

    // `raw`'s matrices are handed over (normalised in place): nothing reads them after this
    const prepared = preprocessDataset(raw, {
      conditions: mapping.conditions,
      consume: true,
      signal: job.signal,
      onProgress: (stage, f) => job.progress(0.52 + 0.38 * f, stageLabel(stage)),
    })
    job.throwIfCancelled()
    // The guide of each cell (and its replicate), for the guide plan's per-guide knockdown.
    const cellGuides = cellGuidesOf(raw.obs, raw.cells, prepared.cells)
    if (cellGuides) prepared.cellGuides = cellGuides

    const warnings = [...raw.warnings, ...prepared.warnings]
    const dropped = mapping.unmapped.reduce((n, u) => n + u.cells, 0)
    if (dropped > 0) {
      const examples = mapping.unmapped.slice(0, 3).map((u) => `"${u.value ?? ''}" (${u.cells} cells: ${u.reason})`)
      warnings.push(`${dropped} cells were left out because their "${conditionColumn}" value could not be mapped: ${examples.join('; ')}.`)
    }
    const stored = { ...this.summarize(prepared, [...mapping.renames, ...geneRenames], warnings), ...(options.contentHash ? { contentHash: options.contentHash } : {}) }

    job.progress(0.92, 'Saving the dataset')
    const rel = path.join(STORAGE_ROOT, crypto.randomUUID())
    const dir = path.join(this.deps.home, rel)
    await saveDataset(dir, prepared)
    try {
      job.throwIfCancelled()
      const record = this.deps.repo.insert({ projectId: project.id, name: options.name, sourcePath: path.resolve(raw.source.path), format: raw.source.format, storageDir: rel, summary: stored })
      job.progress(1, 'Imported')
      return record.summary
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true })
      throw err
    }
  }

  /**
   * The bundled demo: a synthetic screen with known ground truth (docs/synthetic-data.md),
   * generated from the knowledge files into the data folder and imported like any .h5ad.
   */
  async createDemo(projectId: number, preset: SyntheticPreset, seed: number, job: Job): Promise<DatasetSummary> {
    this.deps.projects.require(projectId)
    const folder = this.deps.knowledgeSources
    if (!scanSources(folder).slots.every((s) => s.found !== null)) {
      throw new AppError(
        'dataset.demo-needs-knowledge',
        `The demo dataset is built from the Reactome and NCBI gene files, which are not in ${folder}. Put the five files there (see the README, "Knowledge files"), or start with --knowledge DIR.`,
      )
    }
    const demoDir = path.join(this.deps.home, 'demo')
    fs.mkdirSync(demoDir, { recursive: true })
    const out = path.join(demoDir, `synthetic-${preset}-seed${seed}.h5ad`)
    if (!fs.existsSync(out)) {
      await synthesizeToFile({ preset, seed, out, knowledgeFolder: folder, onProgress: (f, m) => job.progress(0.4 * f, `Generating the demo: ${m}`) })
    }
    job.throwIfCancelled()
    const raw = await readDataset(out, { format: 'h5ad', signal: job.signal })
    return this.importRaw(projectId, raw, { name: `Demo: synthetic ${preset} screen (seed ${seed})`, conditionColumn: 'condition', controlLabels: [CONTROL] }, job)
  }

  list(projectId?: number): DatasetSummary[] {
    if (projectId !== undefined) this.deps.projects.require(projectId)
    return this.deps.repo.list(projectId).map((r) => r.summary)
  }

  async get(id: number): Promise<DatasetDetail> {
    const record = this.require(id)
    const ds = await this.load(id)
    const conditionTable: ConditionRow[] = ds.conditions.map((c) => ({
      condition: c.condition,
      kind: c.genes.length === 0 ? 'control' : c.genes.length === 1 ? 'single' : 'combo',
      cells: c.cells,
      genes: c.genes,
    }))
    const topDe: Record<string, string[]> = {}
    const deTests: DatasetDetail['deTests'] = {}
    const all = await allConditionTests(ds)
    ds.conditions.forEach((c, i) => {
      if (!c.de) return
      topDe[c.condition] = Array.from(c.de.topNonDropoutDe20, (g) => ds.genes.symbol[g])
      const tests = all.get(i)!
      deTests[c.condition] = { significantGenes: tests.significant, genes: Array.from(c.de.topNonDropoutDe20, (g) => testResult(ds, tests, g)) }
    })
    return { ...record.summary, conditionTable, topDe, deTests }
  }

  /** The dataset's measured genes (in model order) and its perturbed genes. */
  async genes(id: number): Promise<{ datasetId: number; genes: string[]; perturbed: string[] }> {
    const ds = await this.load(id)
    const perturbed = [...new Set(ds.conditions.flatMap((c) => c.genes))].sort()
    return { datasetId: id, genes: [...ds.genes.symbol], perturbed }
  }

  async de(id: number, condition: string, top: number): Promise<ConditionDe> {
    const ds = await this.load(id)
    const index = ds.conditions.findIndex((c) => c.condition === condition)
    const stats = ds.conditions[index]
    if (!stats?.de) {
      throw new AppError('dataset.unknown-condition', `Dataset ${id} has no perturbed condition "${condition}". Conditions are written like "STAT1+ctrl" or "A+B".`)
    }
    const order = stats.de.topNonDropoutDe20.length >= top ? stats.de.topNonDropoutDe20.subarray(0, top) : stats.de.ranking.subarray(0, top)
    const tests = conditionTests(ds, index)
    return {
      datasetId: id,
      condition,
      cells: stats.cells,
      controlCells: ds.conditions[0].cells,
      // The GEARS score as stored (NaN when a GEARS file gave only the ranking) beside our own test.
      genes: Array.from(order, (g) => ({ ...deGene(ds, index, tests, g), score: stats.de!.scores ? stats.de!.scores[g] : NaN })),
    }
  }

  /** Every gene of one condition tested against control, with the perturbed genes' knockdown per guide. */
  async deTable(id: number, condition: string): Promise<DeTable> {
    const ds = await this.load(id)
    const index = this.conditionIndex(ds, id, condition)
    const tests = conditionTests(ds, index)
    return {
      datasetId: id,
      condition: ds.conditions[index].condition,
      cells: ds.conditions[index].cells,
      controlCells: ds.conditions[0].cells,
      test: DE_TEST,
      genes: Array.from(tests.order, (g) => deGene(ds, index, tests, g)),
      significantGenes: tests.significant,
      targets: targetKnockdown(ds, index, tests),
      guideColumn: ds.cellGuides?.guideColumn ?? null,
    }
  }

  /** The top DE genes of many conditions as one clustered condition × gene matrix. */
  async deHeatmap(id: number, options: HeatmapOptions): Promise<DeHeatmap> {
    return deHeatmap(await this.load(id), id, options)
  }

  private conditionIndex(ds: PreparedDataset, id: number, condition: string): number {
    // "STAT1" and "IRF1+STAT1" find "STAT1+ctrl" and "IRF1+STAT1" (the canonical forms).
    let canonical = condition
    try {
      canonical = canonicalCondition(condition)
    } catch {
      // not a condition at all: reported below
    }
    const index = ds.conditions.findIndex((c) => c.condition === condition || c.condition === canonical)
    if (index <= 0 || !ds.conditions[index].de) {
      const examples = ds.conditions.slice(1, 4).map((c) => `"${c.condition}"`).join(', ')
      throw new AppError('dataset.unknown-condition', `Dataset ${id} has no perturbed condition "${condition}". Conditions are written like ${examples || '"STAT1+ctrl" or "A+B"'}; see: perturb-studio dataset show ${id}.`)
    }
    return index
  }

  /**
   * Removes what a killed import left under `datasets/` (partial folders of dead writers); run at
   * start, as the checkpoint sweep is. See `sweepPartialDatasets`.
   */
  sweepPartials(): PartialSweep {
    let used: Set<string> | undefined
    const stillUsed = (name: string) => (used ??= new Set(this.deps.repo.list().map((r) => r.storageDir))).has(path.join(STORAGE_ROOT, name))
    return sweepPartialDatasets(path.join(this.deps.home, STORAGE_ROOT), { stillUsed })
  }

  /** Deletes the dataset's rows, then its stored arrays and the browser-mode upload it came from. */
  delete(id: number): { deleted: number } {
    const record = this.require(id)
    this.deps.repo.delete(id)
    this.cache.delete(id)
    if (record.storageDir) fs.rmSync(path.join(this.deps.home, record.storageDir), { recursive: true, force: true })
    this.removeUnusedUploads([record.summary.sourcePath])
    return { deleted: id }
  }

  /**
   * Returns a function that removes the stored arrays of a project's datasets and the uploads they
   * were imported from; taken before the project's rows are deleted (the cascade removes the rows
   * that name the folders).
   */
  projectFilesRemover(projectId: number): () => void {
    const records = this.deps.repo.list(projectId)
    return () => {
      this.cache.clear()
      for (const r of records) if (r.storageDir) fs.rmSync(path.join(this.deps.home, r.storageDir), { recursive: true, force: true })
      this.removeUnusedUploads(records.map((r) => r.summary.sourcePath))
    }
  }

  /**
   * A browser-mode upload (`uploads/<batch>/…`, see server/upload.ts) is kept while a dataset was
   * imported from it; once the last such dataset is deleted, its batch folder goes too.
   */
  private removeUnusedUploads(sourcePaths: string[]): void {
    const root = path.join(this.deps.home, UPLOADS_DIR)
    const batchOf = (p: string) => {
      const rel = path.relative(root, path.resolve(p))
      return !rel || rel.startsWith('..') || path.isAbsolute(rel) ? null : rel.split(path.sep)[0]
    }
    const batches = new Set(sourcePaths.map(batchOf).filter((b): b is string => !!b))
    if (!batches.size) return
    for (const r of this.deps.repo.list()) batches.delete(batchOf(r.summary.sourcePath) ?? '')
    for (const b of batches) fs.rmSync(path.join(root, b), { recursive: true, force: true })
  }

  /** The prepared dataset, from a small in-memory cache or from disk. */
  async load(id: number): Promise<PreparedDataset> {
    const cached = this.cache.get(id)
    if (cached) return cached
    const record = this.require(id)
    const ds = await loadDataset(path.join(this.deps.home, record.storageDir))
    this.cache.set(id, ds)
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    return ds
  }

  require(id: number) {
    const record = this.deps.repo.get(id)
    if (!record) throw new AppError('dataset.not-found', `No dataset with id ${id}. List them with: perturb-studio dataset list`)
    return record
  }

  private summarize(ds: PreparedDataset, renames: { from: string; to: string }[], warnings: string[]): StoredSummary {
    const perturbed = ds.conditions.filter((c) => c.genes.length > 0)
    return {
      cells: ds.cells.length,
      genes: ds.genes.symbol.length,
      conditions: ds.conditions.length,
      controlCells: ds.conditions[0]?.cells ?? 0,
      singles: perturbed.filter((c) => c.genes.length === 1).length,
      combos: perturbed.filter((c) => c.genes.length > 1).length,
      normalisation:
        ds.normalisation.applied === 'none'
          ? `already log-normalised (${ds.normalisation.matrix}); used as is`
          : `raw counts (${ds.normalisation.matrix}) → normalize_total (target ${Math.round(ds.normalisation.targetSum ?? 0)}) + log1p`,
      hvgSelected: ds.hvg.applied ? ds.hvg.highlyVariable : 0,
      perturbedGenesNotMeasured: ds.perturbedGenesNotMeasured,
      renamedGenes: [...new Map(renames.map((r) => [`${r.from}>${r.to}`, { from: r.from, to: r.to }])).values()],
      warnings,
    }
  }

  private readOptions(input: ReadInput) {
    return { format: input.format, metadata: input.metadata, barcodeColumn: input.barcodeColumn, orientation: input.orientation }
  }
}

/** Renames measured gene symbols that are aliases to their approved symbol, unless that would duplicate a gene. */
function renameMeasuredGenes(raw: RawDataset, aliases: ReadonlyMap<string, string>): { from: string; to: string }[] {
  const present = new Set(raw.genes.symbol)
  const renames: { from: string; to: string }[] = []
  raw.genes.symbol = raw.genes.symbol.map((s) => {
    const to = aliases.get(s)
    if (!to || to === s || present.has(to)) return s
    present.add(to)
    renames.push({ from: s, to })
    return to
  })
  return renames
}

function stageLabel(stage: string): string {
  return (
    { checking: 'Checking values', normalising: 'Normalising (normalize_total + log1p)', 'selecting-genes': 'Selecting highly variable genes', 'differential-expression': 'Differential expression vs control' }[
      stage
    ] ?? stage
  )
}


