/**
 * Turns an imported dataset plus a knowledge release into the ML engine's input (engine-types
 * `TrainingData`): plain typed arrays that cross the worker boundary by structured clone.
 *
 * What is fixed per dataset lives here: the perturbation vocabulary and GO graph, and the
 * pathway part of the attention mask. What depends on the split does not: the co-expression graph
 * (docs/ml-engine.md §2: Pearson over *training* cells, recomputed per split) and the mask's co-expression
 * fallback for genes without a pathway are computed by the trainer from the split
 * (ml/knowledge-graphs.ts), so no test cell leaks into either.
 */
import type { ConditionData, KnowledgeData, TrainingData } from '../../ml/engine-types'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import type { KnowledgeBase } from '../knowledge/knowledge-base'
import type { MaskLevel } from '../knowledge/mask'

export interface BuildTrainingDataOptions {
  datasetId?: number
  maskLevel?: MaskLevel
}

export function buildTrainingData(prepared: PreparedDataset, kb: KnowledgeBase | null, opts: BuildTrainingDataOptions = {}): TrainingData {
  const genes = prepared.genes.symbol
  const byCondition: number[][] = prepared.conditions.map(() => [])
  const cc = prepared.cellCondition
  for (let r = 0; r < cc.length; r++) byCondition[cc[r]].push(r)
  const conditions: ConditionData[] = prepared.conditions.map((c, i) => ({
    condition: c.condition,
    genes: [...c.genes],
    cells: Int32Array.from(byCondition[i]),
    de: c.de
      ? {
          ranking: c.de.ranking,
          nonZerosGeneIdx: c.de.nonZerosGeneIdx,
          nonDropoutGeneIdx: c.de.nonDropoutGeneIdx,
          topNonDropoutDe20: c.de.topNonDropoutDe20,
          topNonZeroDe20: c.de.topNonZeroDe20,
        }
      : null,
  }))
  const perturbed = [...new Set(conditions.flatMap((c) => c.genes))].sort()
  return {
    datasetId: opts.datasetId ?? 0,
    genes: [...genes],
    expression: prepared.X,
    conditions,
    controlMean: prepared.controlMean,
    knowledge: kb ? knowledgeData(kb, genes, perturbed, opts.maskLevel ?? { kind: 'l1' }) : { release: null, pertGenes: perturbed, goEdges: null, mask: null },
  }
}

/**
 * Vocabulary = GO-annotated genes ∪ the dataset's perturbed genes (docs/ml-engine.md §2). A perturbed gene
 * that the release knows under another symbol takes that row (named as the dataset names it);
 * one the release does not know is appended without edges (it can be trained when seen, never
 * predicted unseen: docs/ml-engine.md §1).
 */
function knowledgeData(kb: KnowledgeBase, genes: string[], perturbed: string[], level: MaskLevel): KnowledgeData {
  const go = kb.goGraph()
  const pertGenes = [...go.genes]
  const position = new Map(pertGenes.map((g, i) => [g, i]))
  const resolved = kb.resolveGenes(perturbed)
  perturbed.forEach((gene, i) => {
    if (position.has(gene)) return
    const kbIndex = resolved.geneIndices[i]
    const kbSymbol = kbIndex >= 0 ? kb.resolveGene(gene).symbol : null
    const at = kbSymbol !== null ? position.get(kbSymbol) : undefined
    if (at !== undefined && !perturbed.includes(kbSymbol as string)) {
      pertGenes[at] = gene
      position.delete(kbSymbol as string)
      position.set(gene, at)
    } else {
      position.set(gene, pertGenes.length)
      pertGenes.push(gene)
    }
  })
  const m = kb.maskFor(genes, { level })
  return {
    release: kb.release,
    pertGenes,
    goEdges: { source: go.source, target: go.target, weight: go.weight },
    annotations: kb.geneAnnotations(kb.resolveGenes(pertGenes).geneIndices),
    mask: {
      size: m.size,
      rowPtr: m.rowPtr,
      colIdx: m.colIdx,
      density: m.density,
      withoutPathway: m.withoutPathway.length,
      withoutPathwayGenes: Int32Array.from(m.withoutPathway),
    },
  }
}
