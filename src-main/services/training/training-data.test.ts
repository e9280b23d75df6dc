import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../db/database'
import { tempHome } from '../../test-support/temp-home'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import { KnowledgeBase } from '../knowledge/knowledge-base'
import { KnowledgeService } from '../knowledge/knowledge-service'
import { buildTrainingData } from './training-data'

/**
 * A hand-made knowledge release: pathway Top lists STAT1, IRF1, JAK2, MYC and its sub-pathway
 * Sub lists STAT1, IRF1 (so L1 groups are {STAT1, IRF1} and {JAK2, MYC}); GO terms give Jaccard
 * STAT1–IRF1 2/3, IRF1–JAK2 2/3, JAK2–CD274 1/2, STAT1–JAK2 1/3, IRF1–CD274 1/3; CD274 has the
 * alias PDL1; MYC has no GO terms.
 */
const GENES: [number, string, string][] = [
  [6772, 'STAT1', '-'],
  [3659, 'IRF1', '-'],
  [3717, 'JAK2', '-'],
  [7157, 'TP53', '-'],
  [4609, 'MYC', '-'],
  [29126, 'CD274', 'PDL1|B7-H1'],
]
const GO: Record<string, number[]> = { STAT1: [1, 2], IRF1: [1, 2, 3], JAK2: [2, 3], TP53: [4], CD274: [3] }

function writeKnowledge(dir: string): void {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'ReactomePathways.txt'), 'R-HSA-1\tTop\tHomo sapiens\nR-HSA-2\tSub\tHomo sapiens\n')
  fs.writeFileSync(path.join(dir, 'ReactomePathwaysRelation.txt'), 'R-HSA-1\tR-HSA-2\n')
  fs.writeFileSync(path.join(dir, 'ReactomePathways.gmt'), 'Top\tR-HSA-1\tSTAT1\tIRF1\tJAK2\tMYC\nSub\tR-HSA-2\tSTAT1\tIRF1\n')
  const info = ['#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs\tchromosome\tmap_location\tdescription\ttype_of_gene\ta\tb\tc\td\te\tf']
  for (const [id, sym, syn] of GENES) info.push(`9606\t${id}\t${sym}\t-\t${syn}\t-\t-\t-\t${sym} protein\tprotein-coding\t-\t-\t-\t-\t-\t-`)
  fs.writeFileSync(path.join(dir, 'Homo_sapiens.gene_info'), info.join('\n') + '\n')
  const go = ['#tax_id\tGeneID\tGO_ID\tEvidence\tQualifier\tGO_term\tPubMed\tCategory']
  for (const [id, sym] of GENES) for (const t of GO[sym] ?? []) go.push(`9606\t${id}\tGO:000000${t}\tIEA\t-\tterm ${t}\t-\tProcess`)
  fs.writeFileSync(path.join(dir, 'gene2go'), go.join('\n') + '\n')
}

/** Cells: 2 ctrl, 2 STAT1, 2 PDL1 (alias), 1 NOVELP (unknown to the release). */
function prepared(): PreparedDataset {
  const symbols = ['STAT1', 'IRF1', 'JAK2', 'TP53', 'MYC', 'CD274', 'NOVEL1']
  const G = symbols.length
  const de = { ranking: Int32Array.from([0, 1, 2, 3, 4, 5, 6]), scores: null, nonZerosGeneIdx: Int32Array.from([0, 1]), nonDropoutGeneIdx: Int32Array.from([0, 1]), topNonDropoutDe20: Int32Array.from([0, 1]), topNonZeroDe20: Int32Array.from([0, 1]) }
  const X = { nRows: 7, nCols: G, indptr: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), indices: Int32Array.from([0, 1, 0, 1, 2, 5, 6]), data: Float32Array.from([1, 2, 3, 4, 5, 6, 7]) }
  return {
    source: { path: 'x.h5ad', format: 'h5ad' },
    genes: { id: symbols, symbol: symbols },
    cells: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'],
    conditions: [
      { condition: 'ctrl', genes: [], cells: 2, de: null },
      { condition: 'NOVELP+ctrl', genes: ['NOVELP'], cells: 1, de },
      { condition: 'PDL1+ctrl', genes: ['PDL1'], cells: 2, de },
      { condition: 'STAT1+ctrl', genes: ['STAT1'], cells: 2, de },
    ],
    cellCondition: Int32Array.from([0, 3, 0, 3, 2, 2, 1]),
    X,
    controlMean: new Float32Array(G),
    conditionMeans: new Float32Array(4 * G),
    normalisation: { detected: 'log-normalised', applied: 'none', matrix: 'X', targetSum: null },
    hvgSelected: false,
    hvg: { applied: false, nTopGenes: 5000, highlyVariable: 0, perturbedAdded: [], keptAllReason: 'few genes' },
    perturbedGenesNotMeasured: ['NOVELP', 'PDL1'],
    deSource: 'computed',
    droppedCells: 0,
    warnings: [],
  } as PreparedDataset
}

let home: ReturnType<typeof tempHome>
let db: Db
let service: KnowledgeService
let kb: KnowledgeBase

beforeAll(async () => {
  home = tempHome('ps-training-data-')
  writeKnowledge(path.join(home.dir, 'sources'))
  db = openDatabase(path.join(home.dir, 'perturb-studio.sqlite'))
  service = new KnowledgeService({ dir: path.join(home.dir, 'knowledge'), sourceFolder: path.join(home.dir, 'sources'), settings: db })
  const summary = await service.build({ folder: path.join(home.dir, 'sources'), release: 'tiny' })
  kb = new KnowledgeBase(path.join(home.dir, 'knowledge', `${summary.release}.sqlite`))
}, 60_000)

afterAll(() => {
  kb?.close()
  service?.close()
  db?.close()
  home?.cleanup()
})

describe('buildTrainingData', () => {
  it('groups cells by condition and keeps the DE entries and expression as they are', () => {
    const p = prepared()
    const data = buildTrainingData(p, kb, { datasetId: 7 })
    expect(data.datasetId).toBe(7)
    expect(data.genes).toEqual(p.genes.symbol)
    expect(data.expression).toBe(p.X)
    expect(data.conditions.map((c) => [c.condition, Array.from(c.cells)])).toEqual([
      ['ctrl', [0, 2]],
      ['NOVELP+ctrl', [6]],
      ['PDL1+ctrl', [4, 5]],
      ['STAT1+ctrl', [1, 3]],
    ])
    expect(data.conditions[0].de).toBeNull()
    expect(data.conditions[3].de!.topNonDropoutDe20).toEqual(Int32Array.from([0, 1]))
  })

  it('builds the vocabulary from GO-annotated genes plus the perturbed genes, with the GO edges among them', () => {
    const data = buildTrainingData(prepared(), kb, {})
    const k = data.knowledge
    expect(k.release).toBe('tiny')
    // GO-annotated genes in symbol order; the alias PDL1 takes CD274's row; NOVELP is appended.
    expect(k.pertGenes).toEqual(['PDL1', 'IRF1', 'JAK2', 'STAT1', 'TP53', 'NOVELP'])
    const at = (g: string) => k.pertGenes.indexOf(g)
    const edges = new Map<string, number>()
    for (let e = 0; e < k.goEdges!.source.length; e++) edges.set(`${k.pertGenes[k.goEdges!.source[e]]}>${k.pertGenes[k.goEdges!.target[e]]}`, k.goEdges!.weight[e])
    expect(edges.get('IRF1>STAT1')).toBeCloseTo(2 / 3, 6)
    expect(edges.get('STAT1>IRF1')).toBeCloseTo(2 / 3, 6)
    expect(edges.get('PDL1>JAK2')).toBeCloseTo(1 / 2, 6)
    expect(edges.get('JAK2>STAT1')).toBeCloseTo(1 / 3, 6)
    // No partner shares a term with TP53; NOVELP has no edges at all.
    expect([...edges.keys()].some((e) => e.includes('TP53'))).toBe(false)
    expect([...edges.keys()].some((e) => e.includes('NOVELP'))).toBe(false)
    expect(at('NOVELP')).toBe(5)
  })

  it('builds the pathway mask over the dataset genes and lists the genes without a pathway', () => {
    const m = buildTrainingData(prepared(), kb, {}).knowledge.mask!
    const rows = Array.from({ length: m.size }, (_, i) => Array.from(m.colIdx.subarray(m.rowPtr[i], m.rowPtr[i + 1])))
    // STAT1–IRF1 share Sub; JAK2–MYC share Top (their lowest pathway); the rest only themselves.
    expect(rows).toEqual([[0, 1], [0, 1], [2, 4], [3], [2, 4], [5], [6]])
    expect(Array.from(m.withoutPathwayGenes!)).toEqual([3, 5, 6])
    expect(m.withoutPathway).toBe(3)
    expect(m.density).toBeCloseTo(11 / 49, 12)
  })

  it('works without a knowledge base: the perturbed genes only, no graph, no mask', () => {
    const k = buildTrainingData(prepared(), null, {}).knowledge
    expect(k).toEqual({ release: null, pertGenes: ['NOVELP', 'PDL1', 'STAT1'], goEdges: null, mask: null })
  })
})
