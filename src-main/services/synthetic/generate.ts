import { AppError } from '../../../src-shared/contract'
import { CountSampler, CsrBuilder, expectedNonZeros } from './counts'
import { makeDesign } from './design'
import { applyPairRule, drawPairRule, novelComponent, type PairRule } from './interactions'
import { buildNetwork, networkEdges, propagate } from './network'
import { PRESET_PARAMS, type SyntheticParams } from './presets'
import { Rng } from './random'
import type { SyntheticDataset, SyntheticOptions, SyntheticPair, SyntheticPreset, SyntheticTruth } from './types'

export const CELL_TYPE = 'synthetic'

/** Everything but the cells: the design, the network and the true expression of each condition. */
export interface SyntheticPlan {
  preset: SyntheticPreset
  seed: number
  params: SyntheticParams
  genes: string[]
  /** 'ctrl', then the singles, then the pairs */
  conditions: string[]
  /** expected counts per unit of library size, per condition (aligned with `conditions`) */
  rates: Float64Array[]
  /** cells of condition k are rows cellStart[k] … cellStart[k + 1] − 1 */
  cellStart: Int32Array
  singles: string[]
  combos: string[]
  truth: SyntheticTruth
}

/**
 * A Perturb-seq screen with known ground truth (docs/synthetic-data.md): real gene symbols,
 * a knowledge-shaped regulatory network, negative-binomial counts, and pairs with declared
 * interaction types. Pure: the same options give the same dataset, bit for bit.
 */
export async function generateSynthetic(options: SyntheticOptions): Promise<SyntheticDataset> {
  const progress = options.onProgress ?? (() => undefined)
  const plan = await generatePlan({ ...options, onProgress: (f, m) => progress(0.1 * f, m) })
  const { conditions, cellStart, rates, truth, genes, seed, params } = plan
  const nCells = cellStart[conditions.length]
  const nGenes = genes.length

  progress(0.1, 'sampling counts')
  let expected = 0
  rates.forEach((q, k) => (expected += (cellStart[k + 1] - cellStart[k]) * expectedNonZeros(q, truth.dispersion, params.libraryMedian)))
  const builder = new CsrBuilder(nCells, nGenes, expected * 1.03)
  const sampler = new CountSampler(truth.dispersion)
  for (let k = 0; k < conditions.length; k++) {
    sampler.sample(rates[k], truth.librarySize.subarray(cellStart[k], cellStart[k + 1]), Rng.derive(seed, 'counts', conditions[k]), builder)
    progress(0.1 + (0.9 * cellStart[k + 1]) / nCells, 'sampling counts')
  }
  const X = builder.finish()

  const condition: string[] = new Array(nCells)
  const doseVal: string[] = new Array(nCells)
  const control = new Uint8Array(nCells)
  conditions.forEach((c, k) => {
    for (let i = cellStart[k]; i < cellStart[k + 1]; i++) {
      condition[i] = c
      doseVal[i] = c === 'ctrl' ? '1' : '1+1'
      control[i] = c === 'ctrl' ? 1 : 0
    }
  })
  progress(1, 'dataset generated')
  return {
    preset: plan.preset,
    seed,
    X,
    cells: barcodes(nCells, seed),
    genes,
    obs: {
      condition,
      cell_type: new Array(nCells).fill(CELL_TYPE),
      condition_name: condition.map((c, i) => `${CELL_TYPE}_${c}_${doseVal[i]}`),
      dose_val: doseVal,
      control,
    },
    singles: plan.singles,
    combos: plan.combos,
    controlCells: cellStart[1],
    truth,
  }
}

/** The ground truth alone (fast: no cells are sampled). */
export async function generatePlan(options: SyntheticOptions): Promise<SyntheticPlan> {
  const { preset, seed, knowledge } = options
  if (!Number.isSafeInteger(seed) || seed < 0) throw new AppError('synthetic.bad-seed', `The seed must be a whole number ≥ 0 (got ${seed}).`)
  const base = PRESET_PARAMS[preset]
  if (!base) throw new AppError('synthetic.unknown-preset', `Unknown preset "${preset}"; use ${Object.keys(PRESET_PARAMS).join(' or ')}.`)
  const params: SyntheticParams = { ...base, modality: options.modality ?? base.modality }
  const progress = options.onProgress ?? (() => undefined)

  progress(0, 'choosing genes')
  const design = makeDesign(knowledge, params, seed)
  const { genes, geneIndex } = design
  const nGenes = genes.length
  const idx = (g: string) => geneIndex.get(g)!

  // redundant pairs: one gene becomes the other's paralog (it copies its regulatory edges)
  const pairRng = Rng.derive(seed, 'pairs')
  const paralogs: [number, number][] = design.pairs.filter((p) => p.type === 'redundant').map((p) => (pairRng.bernoulli(0.5) ? [idx(p.a), idx(p.b)] : [idx(p.b), idx(p.a)]))
  progress(0.03, 'building the gene network')
  const perturbedIdx = new Set([...design.singles, ...design.pairOnly].map(idx))
  const net = await buildNetwork(design, params, seed, paralogs, perturbedIdx)

  // ── control expression: log-normal shares, NB dispersions ──
  const exprRng = Rng.derive(seed, 'expression')
  const logShare = new Float64Array(nGenes)
  for (let g = 0; g < nGenes; g++) logShare[g] = exprRng.normal(0, params.expressionSd)
  const perturbedGenes = [...design.singles, ...design.pairOnly]
  {
    // a knock-down is only visible on an expressed gene, so CRISPRi screens target those; CRISPRa
    // targets are mostly quiet genes (Norman's TFs), which keeps their activation from crowding
    // out the other genes' share of the counts
    const z = logSumExp(logShare)
    const oneCount = Math.log(1 / params.libraryMedian) + z
    for (const g of perturbedGenes) {
      const i = idx(g)
      logShare[i] = params.modality === 'CRISPRi' ? Math.max(logShare[i], oneCount + exprRng.range(0.7, 2.2)) : Math.min(logShare[i], oneCount - exprRng.range(0.5, 2.5))
    }
  }
  const z = logSumExp(logShare)
  const baseShare = logShare.map((v) => Math.exp(v - z))
  const dispersion = new Float64Array(nGenes)
  for (let g = 0; g < nGenes; g++) dispersion[g] = Math.min(3, Math.max(0.02, exprRng.logNormal(Math.log(params.dispersionMedian), params.dispersionSd)))

  // ── self effects and single perturbations (log-scale composition changes) ──
  const selfRng = Rng.derive(seed, 'self-effects')
  const direction = params.modality === 'CRISPRi' ? -1 : 1
  const selfEffect = new Map<string, number>()
  for (const g of perturbedGenes) selfEffect.set(g, direction * selfRng.range(params.selfEffect[0], params.selfEffect[1]))
  const logChange = new Map<string, Float64Array>()
  for (const g of perturbedGenes) logChange.set(g, propagate(net, [[idx(g), selfEffect.get(g)!]], params.steps, params.saturation))
  const singleRate = new Map<string, Float64Array>()
  for (const g of perturbedGenes) {
    const d = logChange.get(g)!
    singleRate.set(
      g,
      baseShare.map((p, k) => p * Math.exp(d[k])),
    )
  }

  // ── conditions and cells ──
  const pairConditions = design.pairs.map((p) => `${p.a}+${p.b}`)
  const singleConditions = design.singles.map((g) => `${g}+ctrl`)
  const conditions = ['ctrl', ...singleConditions, ...pairConditions]
  const cellRng = Rng.derive(seed, 'cells')
  const cellsPer = conditions.map((c) =>
    c === 'ctrl' ? params.controlCells : Math.round(Math.min(2, Math.max(0.5, Math.exp(cellRng.normal(0, 0.2)))) * params.cellsPerCondition),
  )
  const nCells = cellsPer.reduce((s, n) => s + n, 0)
  const libRng = Rng.derive(seed, 'libraries')
  const librarySize = new Float64Array(nCells)
  for (let c = 0; c < nCells; c++) librarySize[c] = params.libraryMedian * Math.exp(libRng.normal(0, params.librarySd))
  const cellStart = new Int32Array(conditions.length + 1)
  cellsPer.forEach((n, k) => (cellStart[k + 1] = cellStart[k] + n))

  // ── pair rules (parameters drawn once; the effects are rebuilt as the target sum settles) ──
  const rules: PairRule[] = design.pairs.map((p) => drawPairRule(p.type, pairRng))
  const novelRaw = new Map<number, { gene: number; profile: Float64Array }>()
  const candidates = genes.map((_, g) => g).filter((g) => net.outPtr[g + 1] - net.outPtr[g] >= 3 && !selfEffect.has(genes[g]))
  design.pairs.forEach((p, i) => {
    if (p.type !== 'neomorphic') return
    const h = candidates[pairRng.int(candidates.length)]
    const push = (pairRng.bernoulli(0.5) ? 1 : -1) * pairRng.range(params.selfEffect[0], params.selfEffect[1])
    novelRaw.set(i, { gene: h, profile: propagate(net, [[h, push]], params.steps, params.saturation) })
  })

  const rateSum = (q: Float64Array) => q.reduce((s, v) => s + v, 0)
  const singleSum = new Map([...singleRate].map(([g, q]) => [g, rateSum(q)]))
  const medianTotal = (pairSums: number[]) => {
    const totals = new Float64Array(nCells)
    conditions.forEach((c, k) => {
      const s = k === 0 ? 1 : k <= design.singles.length ? singleSum.get(design.singles[k - 1])! : pairSums[k - 1 - design.singles.length]
      for (let i = cellStart[k]; i < cellStart[k + 1]; i++) totals[i] = librarySize[i] * s
    })
    totals.sort()
    return totals[nCells >> 1]
  }
  const controlMeanAt = (t: number) => baseShare.map((p) => Math.log1p(t * p))
  const effectOf = (q: Float64Array, s: number, t: number, ctrl: Float64Array) => q.map((v, g) => Math.log1p((t * v) / s) - ctrl[g])

  let targetSum = medianTotal(design.pairs.map(() => 1))
  let pairRates: Float64Array[] = []
  let novelUsed: (number | undefined)[] = []
  for (let pass = 0; pass < 2; pass++) {
    const ctrl = controlMeanAt(targetSum)
    const expressed = Uint8Array.from(baseShare, (p) => (targetSum * p > 0.5 ? 1 : 0))
    // the rule acts on the singles' effects before normalize_total's closure (S = 1): closing the
    // pair afterwards then shifts it by c1·(a's shift) + c2·(b's shift) to first order, so the
    // declared relation also holds between the closed effects that the data shows
    const single = new Map([...singleRate].map(([g, q]) => [g, effectOf(q, 1, targetSum, ctrl)]))
    novelUsed = []
    pairRates = design.pairs.map((p, i) => {
      const a = single.get(p.a)!
      const b = single.get(p.b)!
      const self: [number, number] = [idx(p.a), idx(p.b)]
      let novel: Float64Array | undefined
      if (p.type === 'neomorphic') {
        const raw = novelRaw.get(i)!
        novel = novelComponent(raw.profile, a, b, expressed, self, rules[i].novelRatio!) ?? undefined
        novelUsed[i] = novel ? raw.gene : undefined
      }
      const ab = applyPairRule(rules[i], a, b, self, novel)
      // back to expected shares: expression cannot drop below 5 % of control, nor rise past e^6
      return ab.map((d, g) => {
        const floor = Math.log1p(0.05 * (Math.exp(ctrl[g]) - 1)) - ctrl[g]
        return Math.expm1(ctrl[g] + Math.min(6, Math.max(floor, d))) / targetSum
      })
    })
    if (pass === 0) targetSum = medianTotal(pairRates.map(rateSum))
  }

  // ── stored truth on the log-normalised scale ──
  const ctrl = controlMeanAt(targetSum)
  const rates = [baseShare, ...design.singles.map((g) => singleRate.get(g)!), ...pairRates]
  const perturbedConditions = conditions.slice(1)
  const effects = new Float32Array(perturbedConditions.length * nGenes)
  rates.slice(1).forEach((q, k) => effects.set(effectOf(q, rateSum(q), targetSum, ctrl), k * nGenes))

  const pairs: SyntheticPair[] = design.pairs.map((p, i) => ({
    condition: pairConditions[i],
    genes: [p.a, p.b],
    type: p.type,
    c1: rules[i].c1,
    c2: rules[i].c2,
    ...(p.type === 'neomorphic' && novelUsed[i] !== undefined ? { novelGene: genes[novelUsed[i]!], novelRatio: rules[i].novelRatio } : {}),
    samePathway: p.samePathway,
  }))
  progress(1, 'ground truth ready')
  return {
    preset,
    seed,
    params,
    genes,
    conditions,
    rates,
    cellStart,
    singles: singleConditions,
    combos: pairConditions,
    truth: {
      modality: params.modality,
      conditions: perturbedConditions,
      effects,
      controlMean: Float32Array.from(ctrl),
      targetSum,
      baseShare,
      dispersion,
      librarySize,
      selfEffect,
      pairs,
      network: networkEdges(net, genes),
      programRegulators: Array.from(net.regulators, (g) => genes[g]),
      perturbedWithoutPathway: design.withoutPathway,
      perturbedWithoutKnowledge: design.withoutKnowledge,
    },
  }
}

function logSumExp(v: Float64Array): number {
  let m = -Infinity
  for (const x of v) m = Math.max(m, x)
  let s = 0
  for (const x of v) s += Math.exp(x - m)
  return m + Math.log(s)
}

/** 10x-style barcodes (16 bases, `-1`), unique and seeded. */
function barcodes(n: number, seed: number): string[] {
  const rng = Rng.derive(seed, 'barcodes')
  const bases = 'ACGT'
  const seen = new Set<string>()
  const out: string[] = []
  while (out.length < n) {
    let s = ''
    for (let i = 0; i < 16; i++) s += bases[rng.int(4)]
    s += '-1'
    if (seen.has(s)) continue
    seen.add(s)
    out.push(s)
  }
  return out
}
