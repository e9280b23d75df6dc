import { Option, type Command } from 'commander'
import { AppError, type ChangeSourceInput, type EnrichmentDirection } from '../../../src-shared/contract'
import { ENRICHMENT_DEFAULTS } from '../../../src-shared/contract/channels/enrichment'
import { CELLS_DEFAULTS } from '../../../src-shared/contract/channels/cells'
import { cellsTable, enrichmentMethod, enrichmentTable } from '../../../src-shared/exports/enrichment-tables'
import type { TableExport } from '../../../src-shared/exports/table'
import { tableFile } from '../../services/exports/table-files'
import { APP_VERSION } from '../../runtime/version'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'

const int = (flag: string, min: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new AppError('cli.invalid-option', `${flag} needs a whole number of at least ${min}, got "${v}".`)
  return Number(v)
}
const nonNegative = (flag: string) => (v: string) => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new AppError('cli.invalid-option', `${flag} needs a number of 0 or more, got "${v}".`)
  return n
}

/** Writes a table to exactly `target` (CSV + provenance sidecar, or .xlsx by its extension) and records it. */
async function writeTable(s: CliSession, target: string, doc: TableExport, projectId?: number) {
  const format = /\.xlsx$/i.test(target) ? 'xlsx' : 'csv'
  const file = await tableFile(doc, format, APP_VERSION)
  return s.context.services.exports.writeTo(target, { ...file, projectId: projectId ?? null })
}

function sub(program: Command, name: string): Command {
  const c = program.commands.find((x) => x.name() === name)
  if (!c) throw new Error(`the ${name} command must be registered before its subcommands`)
  return c
}

interface EnrichOpts {
  prediction?: number
  dataset?: number
  condition?: string
  direction: EnrichmentDirection
  top: number
  minChange: number
  minSize: number
  release?: string
  csv?: string
}

/** `pathways enrich` and `dataset cells`: registered after the knowledge and dataset commands. */
export const registerEnrichmentCommands: CommandRegistrar = (program, session) => {
  sub(program, 'pathways')
    .command('enrich')
    .description('Reactome pathway enrichment of a saved prediction’s or a measured condition’s changed genes (hypergeometric, Benjamini–Hochberg)')
    .option('--prediction <id>', 'a saved prediction (see: perturb-studio predict, or the Predict screen)', int('--prediction', 1))
    .option('--dataset <id>', 'a dataset, with --condition: its observed change', int('--dataset', 1))
    .option('--condition <A+B>', 'a condition the dataset measured, e.g. STAT1 or STAT1+ctrl')
    .addOption(new Option('--direction <d>', 'changed genes going up, down or both').choices(['both', 'up', 'down']).default(ENRICHMENT_DEFAULTS.direction))
    .option('--top <n>', 'at most this many changed genes, by |change|', int('--top', 1), ENRICHMENT_DEFAULTS.top)
    .option('--min-change <x>', 'a changed gene has |change| of at least this (log-normalised expression)', nonNegative('--min-change'), ENRICHMENT_DEFAULTS.minAbsChange)
    .option('--min-size <n>', 'test only pathways with at least this many measured genes', int('--min-size', 1), ENRICHMENT_DEFAULTS.minSize)
    .option('--release <label>', 'knowledge release (default: the prediction’s, else the default release)')
    .option('--csv <file>', 'write the table (CSV with a .provenance.txt beside it; .xlsx for Excel)')
    .action(async (opts: EnrichOpts) => {
      const s = session()
      let source: ChangeSourceInput
      if (opts.prediction !== undefined) {
        if (opts.dataset !== undefined || opts.condition) throw new AppError('cli.invalid-option', 'Give either --prediction ID or --dataset ID --condition X, not both.')
        source = { predictionId: opts.prediction }
      } else if (opts.dataset !== undefined && opts.condition) {
        source = { datasetId: opts.dataset, condition: opts.condition }
      } else {
        throw new AppError('cli.invalid-option', 'Say what to test: --prediction ID (a saved prediction) or --dataset ID --condition X (a measured condition).')
      }
      const r = await s.call('enrichment:run', {
        source,
        release: opts.release,
        options: { direction: opts.direction, top: opts.top, minAbsChange: opts.minChange, minSize: opts.minSize },
      })
      const written = opts.csv ? await writeTable(s, opts.csv, enrichmentTable(r)) : null
      const fmt = (p: number) => (p < 1e-3 ? p.toExponential(2) : p.toFixed(4))
      const rows = r.pathways.slice(0, 25).map((p) => ({ id: p.id, pathway: p.name.length > 60 ? `${p.name.slice(0, 59)}…` : p.name, 'found/measured': `${p.found}/${p.measured}`, size: p.size, p: fmt(p.p), 'adj. p': fmt(p.padj), genes: p.genes.slice(0, 8).join(' ') }))
      s.out.result(
        written ? { ...r, file: written.path } : r,
        [
          `Pathway enrichment of the genes ${r.source.label} (knowledge ${r.release})`,
          `  ${enrichmentMethod(r)}`,
          `  changed genes (${r.changed.length}): ${r.changed.slice(0, 20).map((c) => c.gene).join(' ')}${r.changed.length > 20 ? ' …' : ''}`,
          r.pathways.length ? table(rows, ['id', 'pathway', 'found/measured', 'size', 'p', 'adj. p', 'genes']) : 'No tested pathway contains a changed gene.',
          ...(r.pathways.length > 25 ? [`  … ${r.pathways.length - 25} more (all in --json or --csv)`] : []),
          ...(written ? [`Wrote ${written.path}${written.provenance ? ` and ${written.provenance.fileName}` : ''}`] : []),
        ].join('\n'),
      )
    })

  sub(program, 'dataset')
    .command('cells')
    .description('PCA and UMAP of a dataset’s cells (a seeded sample above --max-cells), with each cell’s condition')
    .requiredOption('--dataset <id>', 'dataset id', int('--dataset', 1))
    .requiredOption('--out <file>', 'the table: cell, condition, control, PC1, PC2, UMAP1, UMAP2 (.csv, or .xlsx)')
    .option('--max-cells <n>', 'embed at most this many cells (a seeded random sample above it)', int('--max-cells', 50), CELLS_DEFAULTS.maxCells)
    .option('--seed <n>', 'seed of the sample and of UMAP', int('--seed', 0), CELLS_DEFAULTS.seed)
    .action(async (opts: { dataset: number; out: string; maxCells: number; seed: number }) => {
      const s = session()
      const stop = s.out.json
        ? () => true
        : s.context.events.on('job:progress', (p) => {
            if (p.kind === 'cells-embedding') s.out.info(`  ${Math.round(p.fraction * 100)}% ${p.message}`)
          })
      try {
        const e = await s.call('cells:embedding', { datasetId: opts.dataset, maxCells: opts.maxCells, seed: opts.seed })
        const { name, projectId } = s.context.services.datasets.require(opts.dataset).summary
        const written = await writeTable(s, opts.out, cellsTable(e, name), projectId)
        const summary = { datasetId: e.datasetId, cells: e.cells, totalCells: e.totalCells, sampled: e.sampled, seed: e.seed, genes: e.genes, components: e.components, explained: e.explained, conditions: e.conditions, cached: e.cached, file: written.path }
        s.out.result(
          summary,
          [
            `Cell map of dataset ${e.datasetId}: ${e.sampled ? `a seeded sample (seed ${e.seed}) of ${e.cells.toLocaleString('en')} of ${e.totalCells.toLocaleString('en')} cells` : `all ${e.cells.toLocaleString('en')} cells`}, ${e.genes} genes, ${e.components} PCs${e.cached ? ' (from the cache)' : ''}`,
            `  PC1 ${(e.explained[0] * 100).toFixed(1)} %, PC2 ${(e.explained[1] * 100).toFixed(1)} % of the variance; ${e.conditions.length} conditions`,
            `Wrote ${written.path}`,
          ].join('\n'),
        )
      } finally {
        stop()
      }
    })
}
