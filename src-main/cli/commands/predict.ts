import { InvalidArgumentError, Option } from 'commander'
import path from 'node:path'
import { COMPUTE_BACKENDS, PREDICTION_VIEWS, type ComputeBackend, type ConditionPrediction, type ExportSaved, type PredictionView, type PredictResult } from '../../../src-shared/contract'
import { topByMagnitude } from '../../../src-shared/domain/statistics'
import { shortName } from '../../../src-shared/exports/file-name'
import { pct } from '../../../src-shared/exports/numbers'
import { predictionFigureFile, predictionTableFile, type PredictionFile } from '../../services/predictions/prediction-files'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'
import { tableFileArg } from '../table-file-option'

interface PredictOptions {
  backend?: ComputeBackend
  run: number
  condition: string[]
  controlCells: number | 'all'
  seed: number
  save: boolean
  csv?: string
  xlsx?: string
  png?: string
  svg?: string
  view: PredictionView
  top: number
  full?: boolean
}

const positiveInt = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`${what} must be a whole number of at least 1.`)
  return Number(v)
}
const collect = (v: string, list: string[] | undefined) => [...(list ?? []), v]

const fmt = (x: number | null | undefined, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—')

/** The longest file name (with its extension) the CLI derives from --png/--svg FILE: under every OS's 255-byte limit. */
const MAX_DERIVED_NAME = 200

/**
 * With several conditions, one image each: `fig.png` → `fig-A-B.png`. A long condition (a very
 * long gene name, many genes) is cut with a hash of it (`shortName`), so names stay unique,
 * readable and short enough for the file system.
 */
function imagePath(file: string, result: PredictResult, c: ConditionPrediction): string {
  if (result.conditions.length === 1) return file
  const ext = path.extname(file)
  const stem = `${path.basename(file, ext)}-${c.condition.replace(/[^A-Za-z0-9._-]+/g, '-')}`
  let max = MAX_DERIVED_NAME - ext.length
  let name = shortName(stem, max)
  while (Buffer.byteLength(name) + Buffer.byteLength(ext) > MAX_DERIVED_NAME && max > 16) name = shortName(stem, (max -= 8))
  return path.join(path.dirname(file), `${name}${ext}`)
}

function topChanges(result: PredictResult, c: ConditionPrediction, n: number) {
  return topByMagnitude(c.change, n).map((g) => ({
    gene: result.genes[g],
    change: c.change[g],
    mean: c.mean[g],
    ...(c.sd ? { sd: c.sd[g] } : {}),
    ...(c.measured ? { observedChange: c.measured.observedChange[g] } : {}),
  }))
}

type WrittenFile = Omit<PredictionFile, 'bytes' | 'provenance'> & { path: string; bytes: number; provenance?: string }

function summary(result: PredictResult, opts: PredictOptions, files: WrittenFile[]) {
  const { conditions, genes, controlMean, ...source } = result
  return {
    ...source,
    genes: genes.length,
    ...(opts.full ? { geneNames: genes, controlMean } : {}),
    conditions: conditions.map((c) => ({
      predictionId: c.predictionId,
      condition: c.condition,
      flags: c.flags,
      measured: c.measured && { subset: c.measured.subset, testGroup: c.measured.testGroup, cells: c.measured.cells, metrics: c.measured.metrics, storedMetrics: c.measured.storedMetrics, deGenes: c.measured.de.genes },
      topChanges: topChanges(result, c, opts.top),
      ...(opts.full ? { mean: c.mean, change: c.change, sd: c.sd, observedChange: c.measured?.observedChange ?? null } : {}),
    })),
    files,
  }
}

/** `IFNGR1: unseen-in-knowledge (8 % of its GO embedding from trained genes: IFNGR2)` */
function flagText(f: PredictResult['conditions'][number]['flags'][number]): string {
  const p = f.placedBy
  if (!p) return `${f.gene}: ${f.status}`
  return `${f.gene}: ${f.status} (${pct(p.share)} of its GO embedding from trained genes${p.anchors.length ? `: ${p.anchors.map((a) => a.gene).join(', ')}` : ''})`
}

function human(result: PredictResult, s: ReturnType<typeof summary>): string {
  const lines = [`Run ${result.runId} (${result.model}) on dataset ${result.datasetName} (#${result.datasetId}); base: ${result.base === 'control-mean' ? 'control mean' : `${result.controlCellsUsed} sampled control cells, seed ${result.seed}`}`]
  for (const c of s.conditions) {
    lines.push('', `${c.condition}  ${c.flags.map(flagText).join(', ')}${c.predictionId ? `  (saved as prediction ${c.predictionId})` : ''}`)
    if (c.measured) {
      const where = c.measured.subset ? `${c.measured.subset}${c.measured.testGroup ? `, ${c.measured.testGroup}` : ''}` : 'not in the split'
      const stored = c.measured.storedMetrics ? ` (run stored ${fmt(c.measured.storedMetrics.mse_de)})` : ''
      lines.push(`measured (${c.measured.cells} cells, ${where}): mse_de ${fmt(c.measured.metrics.mse_de)}${stored}, pearson_delta ${fmt(c.measured.metrics.pearson_delta)}`)
    } else lines.push('not measured in the dataset')
    lines.push(table(c.topChanges.slice(0, 10).map((t) => ({ gene: t.gene, change: fmt(t.change), mean: fmt(t.mean), ...(t.sd !== undefined ? { sd: fmt(t.sd) } : {}), ...(t.observedChange !== undefined ? { observed: fmt(t.observedChange) } : {}) })), ['gene', 'change', 'mean', ...(result.conditions[0]?.sd ? ['sd'] : []), ...(c.measured ? ['observed'] : [])]))
  }
  if (s.files.length) lines.push('')
  for (const f of s.files) lines.push(`Wrote ${f.path} (${f.format}${f.width ? `, ${f.width}×${f.height} px, ${f.view} view` : ''})${f.provenance ? ` and its provenance ${f.provenance}` : ''}`)
  return lines.join('\n')
}

/**
 * Renders every file first, then writes them. If a write fails, the files already written (and
 * their export records) and the predictions predict:run saved are removed, so a failed command
 * keeps nothing; the error names the file.
 */
async function writeFiles(s: CliSession, result: PredictResult, opts: PredictOptions) {
  const planned: { target: string; file: PredictionFile }[] = []
  if (opts.csv) planned.push({ target: opts.csv, file: await predictionTableFile(result, 'csv') })
  if (opts.xlsx) planned.push({ target: opts.xlsx, file: await predictionTableFile(result, 'xlsx') })
  for (const [format, file] of [['png', opts.png], ['svg', opts.svg]] as const) {
    if (!file) continue
    for (const c of result.conditions) {
      const view = opts.view === 'de' && !c.measured ? 'top' : opts.view
      planned.push({ target: imagePath(file, result, c), file: await predictionFigureFile(result, c, format, view) })
    }
  }
  const written: WrittenFile[] = []
  const saves: ExportSaved[] = []
  const exports = s.context.services.exports
  try {
    for (const { target, file: f } of planned) {
      const saved = exports.writeTo(target, { kind: f.kind, format: f.format, fileName: f.fileName, bytes: f.bytes, projectId: result.projectId, runId: result.runId, provenance: f.provenance })
      saves.push(saved)
      const { bytes: _b, provenance: _p, ...meta } = f
      written.push({ ...meta, fileName: path.basename(saved.path!), path: saved.path!, bytes: saved.bytes, ...(saved.provenance ? { provenance: saved.provenance.path! } : {}) })
    }
  } catch (err) {
    for (const saved of saves) exports.discard(saved)
    for (const c of result.conditions) if (c.predictionId) await s.call('prediction:delete', { id: c.predictionId }).catch(() => undefined)
    throw err
  }
  return written
}

export const registerPredictCommand: CommandRegistrar = (program, session) => {
  program
    .command('predict')
    .description('predict gene sets with a finished run: mean expression and change over control for every gene; measured conditions are compared with the observation')
    .requiredOption('--run <id>', 'run id (see: perturb-studio runs)', positiveInt('--run'))
    .requiredOption('--condition <A+B>', 'a gene set, e.g. STAT1 or STAT1+IRF1 (repeat for several)', collect)
    .option('--control-cells <n|all>', 'control cells averaged where the model needs cells (BioDSNN’s VAE); default 300', (v: string) => (v === 'all' ? 'all' : positiveInt('--control-cells')(v)), 300)
    .option('--seed <n>', 'seed of the control-cell sample', (v: string) => (/^\d+$/.test(v) ? Number(v) : (() => { throw new InvalidArgumentError('--seed must be a whole number.') })()), 1)
    .option('--no-save', 'do not keep the prediction in the run’s history')
    .option('--csv <file>', 'write the tidy table (one row per condition and gene) as CSV; its provenance goes beside it in <name>.provenance.txt', tableFileArg('csv'))
    .option('--xlsx <file>', 'write the same table as an Excel workbook, with a Provenance sheet', tableFileArg('xlsx'))
    .option('--png <file>', 'write the figure as PNG (2× pixels; one file per condition: FILE-<condition>.png)')
    .option('--svg <file>', 'write the figure as SVG')
    .addOption(new Option('--view <view>', 'figure: de (GEARS-style, measured conditions), top (largest predicted changes) or auto').choices([...PREDICTION_VIEWS]).default('auto'))
    .option('--top <n>', 'genes listed per condition', positiveInt('--top'), 20)
    .option('--full', 'with --json: every gene’s predicted mean, change and sd')
    .addOption(new Option('--backend <name>', 'force the prediction worker’s compute backend (default: the best available)').choices([...COMPUTE_BACKENDS]))
    .action(async (opts: PredictOptions) => {
      const s = session()
      if (opts.backend) s.predictBackend = opts.backend
      const result = await s.call('predict:run', { runId: opts.run, conditions: opts.condition, controlCells: opts.controlCells, seed: opts.seed, save: opts.save })
      const files = await writeFiles(s, result, opts)
      const out = summary(result, opts, files)
      s.out.result(out, human(result, out))
    })
}
