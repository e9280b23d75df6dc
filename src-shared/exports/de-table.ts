/**
 * A condition's DE table as an export (`TableExport`): every gene with its means, log2 fold
 * change, Welch t, p and Benjamini–Hochberg adjusted p, and — in a workbook — the perturbed genes'
 * knockdown per guide. The same rows for the screen's Export buttons and `perturb-studio dataset de --out`.
 */
import type { DeTable } from '../contract/datasets'
import { DE_SIGNIFICANCE } from '../domain/differential-expression'
import { safeFilename } from './file-name'
import type { DataTable, TableExport } from './table'

export const DE_TABLE_COLUMNS = ['gene', 'log2_fold_change', 'mean_condition', 'mean_control', 'change', 't', 'p_value', 'p_adjusted', 'significant'] as const
export const KNOCKDOWN_COLUMNS = ['target', 'guide', 'cells', 'mean_target', 'percent_of_control', 'log2_fold_change', 'p_value'] as const

export function deGenesTable(t: DeTable): DataTable {
  return {
    sheet: 'DE genes',
    columns: [...DE_TABLE_COLUMNS],
    rows: t.genes.map((g) => [
      g.gene,
      g.log2FoldChange,
      g.meanCondition,
      g.meanControl,
      g.change,
      g.score,
      g.pValue,
      g.pAdjusted,
      g.pAdjusted < DE_SIGNIFICANCE.pAdjusted && Math.abs(g.log2FoldChange) >= DE_SIGNIFICANCE.log2FoldChange,
    ]),
  }
}

/** Each perturbed gene overall (guide `all`) and per guide; null when no target is measured. */
export function knockdownTable(t: DeTable): DataTable | null {
  const rows = t.targets.filter((x) => x.measured).flatMap((x) => [
    [x.gene, 'all', t.cells, x.meanCondition, x.percentOfControl, x.log2FoldChange, x.pAdjusted],
    ...x.guides.map((g) => [x.gene, g.guide, g.cells, g.meanTarget, g.percentOfControl, g.log2FoldChange, g.pValue]),
  ])
  return rows.length ? { sheet: 'Target knockdown', columns: [...KNOCKDOWN_COLUMNS], rows } : null
}

/** The DE table of one condition; `format` decides whether the knockdown sheet rides along (a CSV holds one table). */
export function deTableExport(t: DeTable, datasetName: string, format: 'csv' | 'xlsx'): TableExport {
  const knockdown = format === 'xlsx' ? knockdownTable(t) : null
  return {
    kind: 'de-table',
    stem: safeFilename(`de-dataset${t.datasetId}-${t.condition}`),
    tables: [deGenesTable(t), ...(knockdown ? [knockdown] : [])],
    provenance: {
      what: `differential expression of ${t.condition} vs control`,
      dataset: `${datasetName} (dataset ${t.datasetId})`,
      extra: [
        ['test', t.test],
        ['cells', `${t.cells} in ${t.condition}, ${t.controlCells} control`],
        ['log2_fold_change', 'log2 of the ratio of mean normalised counts (expm1 of the log-normalised means), as scanpy reports it'],
        ['change', 'mean log-normalised expression in the condition − in control'],
        ['significant', `p_adjusted < ${DE_SIGNIFICANCE.pAdjusted} and |log2_fold_change| ≥ ${DE_SIGNIFICANCE.log2FoldChange}`],
        ...(knockdown ? [['percent_of_control', 'the target’s mean normalised counts in the cells as a percentage of control’s; per-guide p-values are not adjusted'] as [string, string]] : []),
      ],
    },
  }
}
