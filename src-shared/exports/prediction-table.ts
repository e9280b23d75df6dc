/**
 * A prediction as a tidy table — one row per condition and gene, the same columns whatever the
 * run or condition (empty where a value does not apply) — and its provenance, so the Predict
 * screen's CSV/Excel files and the CLI's `--csv`/`--xlsx` are the same files.
 */
import type { PredictionSource, ConditionPrediction } from '../contract/channels/predictions'
import { csvText, type CsvCell } from './csv'
import { safeFilename } from './file-name'
import type { Provenance } from './provenance'
import type { TableExport } from './table'

export const PREDICTION_COLUMNS = ['condition', 'gene', 'control_mean', 'predicted_mean', 'predicted_change', 'predicted_sd', 'observed_change', 'de_rank'] as const

export function predictionRows(src: PredictionSource, conditions: ConditionPrediction[]): CsvCell[][] {
  const rows: CsvCell[][] = []
  for (const c of conditions) {
    const rank = new Map<number, number>(c.measured ? c.measured.de.index.map((g, i) => [g, i + 1]) : [])
    for (let g = 0; g < src.genes.length; g++) {
      rows.push([c.condition, src.genes[g], src.controlMean[g], c.mean[g], c.change[g], c.sd ? c.sd[g] : null, c.measured ? c.measured.observedChange[g] : null, rank.get(g) ?? null])
    }
  }
  return rows
}

export function predictionProvenance(src: PredictionSource, conditions: ConditionPrediction[]): Provenance {
  const names = conditions.map((c) => c.condition)
  const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ')
  return {
    what: `predicted expression for ${listed}`,
    knowledgeRelease: src.knowledgeRelease,
    dataset: `${src.datasetName} (#${src.datasetId})`,
    run: `${src.runId}${src.runName ? ` “${src.runName}”` : ''}, best epoch ${src.bestEpoch ?? '—'}`,
    model: src.model,
    seed: src.trainingSeed,
    extra: [
      ['base', src.base === 'control-mean' ? 'control mean + predicted change' : `mean over ${src.controlCellsUsed} sampled control cells (seed ${src.seed}) + predicted change`],
      ['values', 'log-normalised expression; change = predicted mean − control mean'],
    ],
  }
}

/** `prediction-run3-STAT1`, `prediction-run3-4-conditions`: the table's file name without extension. */
export function predictionStem(src: PredictionSource, conditions: ConditionPrediction[]): string {
  const what = conditions.length === 1 ? conditions[0].condition : `${conditions.length}-conditions`
  return safeFilename(`prediction-run${src.runId}-${what}`)
}

/** The prediction as a table export (sheet `Prediction`), for `tableFile` in the core or `export:table`. */
export function predictionTable(src: PredictionSource, conditions: ConditionPrediction[]): TableExport {
  return {
    kind: 'prediction-table',
    stem: predictionStem(src, conditions),
    tables: [{ sheet: 'Prediction', columns: [...PREDICTION_COLUMNS], rows: predictionRows(src, conditions) }],
    provenance: predictionProvenance(src, conditions),
  }
}

/** The table as CSV text: header row and rows (its provenance goes in the sidecar). */
export function predictionCsv(src: PredictionSource, conditions: ConditionPrediction[]): string {
  return csvText([...PREDICTION_COLUMNS], predictionRows(src, conditions))
}
