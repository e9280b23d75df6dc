import { Option } from 'commander'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import { DE_SIGNIFICANCE } from '../../../src-shared/domain/differential-expression'
import { deTableExport } from '../../../src-shared/exports/de-table'
import { tableFile } from '../../services/exports/table-files'
import { APP_VERSION } from '../../runtime/version'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'

/** `--project` as id or name; without it the only project, or a new "Default project" when there is none. */
async function projectFor(s: CliSession, ref: string | undefined): Promise<number> {
  if (ref) return s.context.services.projects.resolve(ref).id
  const all = await s.call('project:list', {})
  if (all.length === 1) return all[0].id
  if (all.length === 0) return (await s.call('project:create', { name: 'Default project' })).id
  throw new AppError('cli.project-required', `There are ${all.length} projects; say which one with --project ID (see: perturb-studio project list).`)
}

interface ImportOptions {
  project?: string
  format: 'auto' | 'h5ad' | '10x' | 'csv'
  metadata?: string
  barcodeColumn?: string
  conditionColumn?: string
  controlLabel?: string[]
  orientation?: 'cells-by-genes' | 'genes-by-cells'
  name?: string
}

export const registerDatasetCommands: CommandRegistrar = (program, session) => {
  program
    .command('import')
    .description('import a Perturb-seq dataset (.h5ad, 10x folder, CSV/TSV) into a project')
    .argument('<path>', 'an .h5ad file, a 10x folder (matrix.mtx(.gz), features/genes, barcodes), or a CSV/TSV table')
    .option('--project <id|name>', 'project to import into (default: the only project)')
    .addOption(new Option('--format <format>', 'input format').choices(['auto', 'h5ad', '10x', 'csv']).default('auto'))
    .option('--metadata <file>', 'cell-metadata CSV joined on barcode (10x, CSV)')
    .option('--barcode-column <column>', 'barcode column of the metadata file')
    .option('--condition-column <column>', 'column naming each cell’s perturbation (default: the suggested one)')
    .option('--control-label <label...>', 'value(s) of that column that mark control cells (default: the suggested one)')
    .addOption(new Option('--orientation <o>', 'CSV only: how the table is laid out').choices(['cells-by-genes', 'genes-by-cells']))
    .option('--name <name>', 'dataset name (default: the file name)')
    .action(async (file: string, opts: ImportOptions) => {
      const s = session()
      const projectId = await projectFor(s, opts.project)
      const read = { path: file, format: opts.format, metadata: opts.metadata, barcodeColumn: opts.barcodeColumn, orientation: opts.orientation }
      let conditionColumn = opts.conditionColumn
      let controlLabels = opts.controlLabel
      if (!conditionColumn || !controlLabels?.length) {
        const preview = await s.call('dataset:preview', read)
        conditionColumn ??= preview.suggestedConditionColumn ?? undefined
        if (!conditionColumn) {
          const names = preview.obsColumns.map((c) => c.name)
          throw new AppError(
            'dataset.condition-column-required',
            names.length
              ? `Could not tell which column names the perturbations; pass --condition-column (one of: ${names.join(', ')}).`
              : `${file} has no cell annotations, so nothing says which perturbation each cell got. Pass them with --metadata cells.csv (a table with a cell id column and a condition column), then --condition-column if its name is not found.`,
          )
        }
        controlLabels = controlLabels?.length ? controlLabels : (preview.suggestedControlLabels[conditionColumn] ?? []).slice(0, 1)
        s.out.info(`Using condition column "${conditionColumn}" with control label(s) ${controlLabels.map((l) => `"${l}"`).join(', ') || '(none found)'}.`)
      }
      const unsubscribe = s.out.json ? () => true : s.context.events.on('job:progress', (p) => s.out.info(`  ${Math.round(p.fraction * 100)}% ${p.message}`))
      try {
        const summary = await s.call('dataset:import', { ...read, projectId, conditionColumn, controlLabels: controlLabels ?? [], name: opts.name })
        s.out.result(
          summary,
          [
            `Imported dataset ${summary.datasetId} "${summary.name}" into project ${summary.projectId}`,
            `  ${summary.cells.toLocaleString()} cells × ${summary.genes.toLocaleString()} genes; ${summary.conditions} conditions (${summary.singles} singles, ${summary.combos} combinations, ${summary.controlCells.toLocaleString()} control cells)`,
            `  ${summary.normalisation}`,
            ...summary.warnings.map((w) => `  note: ${w}`),
          ].join('\n'),
        )
      } finally {
        unsubscribe()
      }
    })

  const dataset = program.command('dataset').description('list, show and delete imported datasets')

  dataset
    .command('list')
    .description('list datasets')
    .option('--project <id|name>', 'only this project’s datasets')
    .action(async (opts: { project?: string }) => {
      const s = session()
      const projectId = opts.project ? s.context.services.projects.resolve(opts.project).id : undefined
      const list = await s.call('dataset:list', { projectId })
      s.out.result(list, table(list as unknown as Record<string, unknown>[], ['datasetId', 'projectId', 'name', 'cells', 'genes', 'conditions', 'controlCells']))
    })

  dataset
    .command('show')
    .description('a dataset’s summary, cells per condition and top DE genes')
    .argument('<id>', 'dataset id')
    .action(async (ref: string) => {
      const s = session()
      const detail = await s.call('dataset:get', { id: datasetId(ref) })
      const result = {
        ...detail,
        conditionTable: undefined,
        cellsPerCondition: Object.fromEntries(detail.conditionTable.map((c) => [c.condition, c.cells])),
        top_non_dropout_de_20: detail.topDe,
        topDe: undefined,
      }
      s.out.result(
        result,
        [
          `Dataset ${detail.datasetId} "${detail.name}" (${detail.format}, ${detail.sourcePath})`,
          `${detail.cells.toLocaleString()} cells × ${detail.genes.toLocaleString()} genes; ${detail.normalisation}`,
          table(
            detail.conditionTable.map((c) => ({
              condition: c.condition,
              cells: c.cells,
              [`DE genes (adj. p < ${DE_SIGNIFICANCE.pAdjusted})`]: detail.deTests[c.condition]?.significantGenes ?? '',
              'top DE genes': (detail.topDe[c.condition] ?? []).slice(0, 6).join(', '),
            })),
            ['condition', 'cells', `DE genes (adj. p < ${DE_SIGNIFICANCE.pAdjusted})`, 'top DE genes'],
          ),
          `DE: Welch t-test vs control, Benjamini–Hochberg adjusted; per gene: perturb-studio dataset de ${detail.datasetId} --condition ${detail.conditionTable[1]?.condition ?? 'A+ctrl'}`,
        ].join('\n'),
      )
    })

  dataset
    .command('de')
    .description('differential expression of one condition vs control: every gene’s log2 fold change, Welch t-test p and Benjamini–Hochberg adjusted p, and the target’s knockdown per guide')
    .argument('<id>', 'dataset id')
    .requiredOption('--condition <A+B>', 'the condition, e.g. STAT1 (= STAT1+ctrl) or A+B')
    .option('--top <n>', 'genes listed (by adjusted p)', (v: string) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new AppError('cli.invalid-argument', `--top is a positive whole number, got "${v}".`)
      return Number(v)
    }, 20)
    .option('--out <file>', 'write every gene as a table: .csv (its provenance in FILE.provenance.txt beside it) or .xlsx (with the per-guide knockdown sheet)')
    .action(async (ref: string, opts: { condition: string; top: number; out?: string }) => {
      const s = session()
      const id = datasetId(ref)
      const t = await s.call('dataset:de-table', { id, condition: opts.condition })
      let written: { path: string; provenance: string | null } | null = null
      if (opts.out) {
        const format = /\.xlsx$/i.test(opts.out) ? 'xlsx' : 'csv'
        const record = s.context.services.datasets.require(id)
        const f = await tableFile(deTableExport(t, record.summary.name, format), format, APP_VERSION)
        const saved = s.context.services.exports.writeTo(opts.out, { kind: f.kind, format, fileName: path.basename(opts.out), bytes: f.bytes, projectId: record.summary.projectId, provenance: f.provenance })
        written = { path: saved.path!, provenance: saved.provenance?.path ?? null }
      }
      const fmtP = (p: number | null) => (p === null || Number.isNaN(p) ? '' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2))
      const fmtN = (v: number | null, d = 2) => (v === null || Number.isNaN(v) ? '' : v.toFixed(d))
      const knock = t.targets.map((x) =>
        x.measured
          ? `${x.gene}: ${fmtN(x.percentOfControl, 0)} % of control (log2 fold change ${fmtN(x.log2FoldChange)}, adj. p ${fmtP(x.pAdjusted)})${x.guides.length ? `; per guide: ${x.guides.map((g) => `${g.guide} ${fmtN(g.percentOfControl, 0)} % (${g.cells} cells)`).join(', ')}` : ''}`
          : `${x.gene}: not among the measured genes`,
      )
      s.out.result(
        { ...t, genes: t.genes.slice(0, opts.top), genesTotal: t.genes.length, ...(written ? { written } : {}) },
        [
          `${t.condition}: ${t.cells.toLocaleString()} cells vs ${t.controlCells.toLocaleString()} control cells; ${t.significantGenes} of ${t.genes.length} genes with adjusted p < ${DE_SIGNIFICANCE.pAdjusted}`,
          ...knock.map((k) => `  target ${k}`),
          table(
            t.genes.slice(0, opts.top).map((g) => ({ gene: g.gene, log2FC: fmtN(g.log2FoldChange), t: fmtN(g.score, 1), p: fmtP(g.pValue), 'adj. p': fmtP(g.pAdjusted) })),
            ['gene', 'log2FC', 't', 'p', 'adj. p'],
          ),
          t.test,
          ...(written ? [`Wrote ${written.path}${written.provenance ? ` and its provenance ${written.provenance}` : ''}`] : []),
        ].join('\n'),
      )
    })

  dataset
    .command('delete')
    .description('delete a dataset with its runs and predictions (the original file is not touched)')
    .argument('<id>', 'dataset id')
    .action(async (ref: string) => {
      const s = session()
      const r = await s.call('dataset:delete', { id: datasetId(ref) })
      s.out.result(r, `Deleted dataset ${r.deleted}`)
    })
}

function datasetId(ref: string): number {
  if (!/^\d+$/.test(ref)) throw new AppError('cli.invalid-argument', `A dataset id is a number (see: perturb-studio dataset list), got "${ref}".`)
  return Number(ref)
}
