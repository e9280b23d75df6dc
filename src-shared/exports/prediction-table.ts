/**
 * A prediction as a tidy table — one row per condition and gene, the same columns whatever the
 * run or condition (empty where a value does not apply) — and its provenance, so the Predict
 * screen's CSV and the CLI's `--csv` are the same file.
 */
import type { PredictionSource, ConditionPrediction } from '../contract/channels/predictions'
import { csvText, type CsvCell } from './csv'
import { provenanceLines, type Provenance } from './provenance'

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

export function predictionCsv(src: PredictionSource, conditions: ConditionPrediction[], now = new Date()): string {
  return csvText([...PREDICTION_COLUMNS], predictionRows(src, conditions), provenanceLines(predictionProvenance(src, conditions), src.appVersion, now))
}
