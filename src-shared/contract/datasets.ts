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
}

export interface DeGene {
  gene: string
  score: number
  meanCondition: number
  meanControl: number
  change: number
}

export interface ConditionDe {
  datasetId: number
  condition: string
  cells: number
  controlCells: number
  /** Top DE genes by |t| (`top_non_dropout_de_20` order), with means on the log-normalised scale. */
  genes: DeGene[]
}
