/** Dataset records as they cross the contract. */

export type DatasetFormatName = 'h5ad' | '10x' | 'csv'

export interface ObsColumnPreview {
  name: string
  type: 'string' | 'number' | 'boolean'
  distinct: number
  examples: string[]
}

/** What the import wizard shows before anything is imported. */
export interface DatasetPreview {
  path: string
  format: DatasetFormatName
  cells: number
  genes: number
  obsColumns: ObsColumnPreview[]
  /** First rows of the cell annotations, as text. */
  firstRows: Record<string, string>[]
  suggestedConditionColumn: string | null
  /** Per column: labels that look like controls, most frequent first. */
  suggestedControlLabels: Record<string, string[]>
  /** Only for CSV tables: how rows and columns were read (the user confirms). */
  orientation?: 'cells-by-genes' | 'genes-by-cells'
  warnings: string[]
  /** Datasets of the project (when the preview named one) that already hold this data. */
  duplicates?: DatasetDuplicate[]
}

/** A dataset already holding the data being imported: same files, or same source path and shape. */
export interface DatasetDuplicate {
  datasetId: number
  name: string
  reason: 'same-content' | 'same-source'
}

/** The import summary (also the CLI's `import --json` output). */
export interface DatasetSummary {
  datasetId: number
  projectId: number
  name: string
  sourcePath: string
  format: DatasetFormatName
  cells: number
  genes: number
  conditions: number
  controlCells: number
  singles: number
  combos: number
  normalisation: string
  hvgSelected: number
  perturbedGenesNotMeasured: string[]
  renamedGenes: { from: string; to: string }[]
  warnings: string[]
  createdAt: string
  /** SHA-256 of the source files (datasets imported before it was recorded have none) */
  contentHash?: string
}

export interface ConditionRow {
  condition: string
  kind: 'control' | 'single' | 'combo'
  cells: number
  genes: string[]
}

export interface DatasetDetail extends DatasetSummary {
  conditionTable: ConditionRow[]
  /** Per condition: the `top_non_dropout_de_20` genes as symbols. */
  topDe: Record<string, string[]>
  /** Per condition: how many genes pass the adjusted p cut, and the `topDe` genes' test results in the same order. */
  deTests: Record<string, { significantGenes: number; genes: DeTestResult[] }>
}

/** Welch t-test of one gene, condition vs control (`DE_TEST`). */
export interface DeTestResult {
  gene: string
  log2FoldChange: number
  pValue: number
  /** Benjamini–Hochberg over every gene of the condition */
  pAdjusted: number
}

export interface DeGene extends DeTestResult {
  /** Welch t */
  score: number
  meanCondition: number
  meanControl: number
  /** mean condition − mean control, log-normalised */
  change: number
}

/** One guide's effect on its target gene: the guide's cells against the control cells. */
export interface GuideKnockdown {
  guide: string
  cells: number
  /** mean log-normalised expression of the target in the guide's cells */
  meanTarget: number
  /** the target's mean normalised counts in the guide's cells as a percentage of control's (100 = no knockdown) */
  percentOfControl: number
  log2FoldChange: number
  /** Welch t-test of the target's expression, the guide's cells vs control (not adjusted: one test per guide) */
  pValue: number
}

/** A perturbed gene's own expression in its condition: is it knocked down, and by each guide? */
export interface TargetKnockdown {
  gene: string
  /** false when the gene is not among the measured genes: its expression cannot be shown */
  measured: boolean
  meanCondition: number | null
  meanControl: number | null
  percentOfControl: number | null
  log2FoldChange: number | null
  pAdjusted: number | null
  /** per guide, when the cells carry a guide column; [] otherwise */
  guides: GuideKnockdown[]
}

/** Every gene of one condition tested against control (the DE table, the volcano, `dataset de --out`). */
export interface DeTable {
  datasetId: number
  condition: string
  cells: number
  controlCells: number
  test: string
  /** every measured gene, by adjusted p then |t| */
  genes: DeGene[]
  /** genes with adjusted p < DE_SIGNIFICANCE.pAdjusted */
  significantGenes: number
  targets: TargetKnockdown[]
  /** the cell annotation column the guides were read from; null when the dataset has none */
  guideColumn: string | null
}

/** The top DE genes of many conditions at once, both axes clustered. */
export interface DeHeatmap {
  datasetId: number
  /** conditions (rows) in drawing order */
  conditions: string[]
  /** genes (columns) in drawing order */
  genes: string[]
  /** log2 fold change, conditions × genes */
  values: number[][]
  /** adjusted p, conditions × genes */
  pAdjusted: number[][]
  /** how rows and columns were chosen and ordered, in words */
  method: string
  /** perturbed conditions not shown (fewer than 2 cells, or beyond the limit) */
  conditionsLeftOut: number
}

export interface ConditionDe {
  datasetId: number
  condition: string
  cells: number
  controlCells: number
  /** Top DE genes by |t| (`top_non_dropout_de_20` order), with means on the log-normalised scale and their test. */
  genes: DeGene[]
}
