/**
 * The pathway-enrichment table and the cell-map table as they are exported, by the screens and by
 * the CLI alike (`TableExport`: CSV with a provenance sidecar, or Excel).
 */
import type { CellsEmbedding } from '../contract/channels/cells'
import type { EnrichmentResult } from '../contract/channels/enrichment'
import type { TableExport } from './table'

const directionText = { both: 'up or down', up: 'up', down: 'down' } as const

/** One line saying which genes were called changed and what they were tested against. */
export function enrichmentMethod(r: EnrichmentResult): string {
  const o = r.options
  return (
    `Changed genes: the ${r.changed.length} genes with the largest |change| (at most ${o.top}, each at least ${o.minAbsChange}, ${directionText[o.direction]}); ` +
    `background: the ${r.background} measured genes listed by a Reactome pathway; ${r.tested} pathways with ≥ ${o.minSize} measured genes tested; ` +
    'hypergeometric upper tail P(X ≥ found), Benjamini–Hochberg adjusted'
  )
}

export function enrichmentTable(r: EnrichmentResult): TableExport {
  const s = r.source
  return {
    kind: 'pathway-enrichment',
    stem: `enrichment-${s.kind === 'prediction' ? `prediction${s.predictionId}` : `dataset${s.datasetId}`}-${s.condition}`,
    tables: [
      {
        sheet: 'Pathway enrichment',
        columns: ['pathway_id', 'pathway_name', 'found', 'measured_in_pathway', 'pathway_size', 'expected', 'p_value', 'p_adjusted_bh', 'genes'],
        rows: r.pathways.map((p) => [p.id, p.name, p.found, p.measured, p.size, p.expected, p.p, p.padj, p.genes.join(' ')]),
      },
    ],
    provenance: {
      what: `Reactome pathway enrichment of the genes ${s.label}`,
      knowledgeRelease: r.release,
      dataset: `${s.datasetName} (id ${s.datasetId})`,
      run: s.runId !== null ? `run ${s.runId} (${s.runLabel})` : null,
      extra: [
        ['condition', s.condition],
        ['method', enrichmentMethod(r)],
        ['changed genes', r.changed.map((c) => c.gene).join(' ')],
      ],
    },
  }
}

export function cellsTable(e: CellsEmbedding, datasetName: string): TableExport {
  return {
    kind: 'cell-map',
    stem: `cells-dataset${e.datasetId}`,
    tables: [
      {
        sheet: 'Cells',
        columns: ['cell', 'condition', 'control', 'PC1', 'PC2', 'UMAP1', 'UMAP2'],
        rows: e.condition.map((c, i) => [e.barcodes[i], e.conditions[c].condition, e.conditions[c].control, e.pca[2 * i], e.pca[2 * i + 1], e.umap[2 * i], e.umap[2 * i + 1]]),
      },
    ],
    provenance: {
      what: `PCA and UMAP coordinates of ${e.sampled ? `a seeded sample of ${e.cells} of ${e.totalCells} cells` : `all ${e.cells} cells`}`,
      dataset: `${datasetName} (id ${e.datasetId})`,
      seed: e.seed,
      extra: [
        ['method', `log-normalised expression of the ${e.genes} most variable genes, scaled (clip ±10); PCA (ml-pca, covariance); UMAP (umap-js, 15 neighbours, min_dist 0.1, started from PC1/PC2) on ${e.components} PCs`],
        ['cells cap', e.maxCells],
      ],
    },
  }
}
