import { AppError } from '../../src-shared/contract'
import { CountSampler, CsrBuilder, expectedNonZeros } from './counts'
import { makeDesign } from './design'
import { applyPairRule, drawPairRule, novelComponent, type PairRule } from './interactions'
import { buildNetwork, networkEdges, propagate } from './network'
import { PRESET_PARAMS, scaleParams, type SyntheticParams } from './presets'
import { Rng } from '../ml/random'
import type { CsrMatrix } from '../io/raw-dataset'
import type { SyntheticDataset, SyntheticGuide, SyntheticOptions, SyntheticPair, SyntheticPreset, SyntheticTruth } from './types'

export const CELL_TYPE = 'synthetic'

/** Everything but the cells: the design, the network and the true expression of each condition. */
export interface SyntheticPlan {
  preset: SyntheticPreset
  seed: number
  params: SyntheticParams
  scale: number
  genes: string[]
  /** 'ctrl', then the singles, then the pairs */
  conditions: string[]
  /** expected counts per unit of library size, per condition (aligned with `conditions`) */
  rates: Float64Array[]
  /** cells of condition k are rows cellStart[k] … cellStart[k + 1] − 1 */
  cellStart: Int32Array
  /** the runs of cells the counts are sampled from, in row order (one per condition, or one per guide) */
  segments: SyntheticSegment[]
  singles: string[]
  combos: string[]
  truth: SyntheticTruth
}

/** One run of cells sampled from one rate: a condition's cells, or the cells of one of its guides. */
export interface SyntheticSegment {
  condition: number
  /** cell rows start … end − 1 */
  start: number
  end: number
  /** expected counts per unit of library size */
  rate: Float64Array
  /** the guide's name (presets with guides) */
  guide?: string
}

/**
 * A Perturb-seq screen with known ground truth (docs/synthetic-data.md): real gene symbols,
 * a knowledge-shaped regulatory network, negative-binomial counts, and pairs with declared
 * interaction types. Pure: the same options give the same dataset, bit for bit. Holds the whole
 * count matrix; `synthesizeToFile` streams it to disk instead.
 */
export async function generateSynthetic(options: SyntheticOptions): Promise<SyntheticDataset> {
  const progress = options.onProgress ?? (() => undefined)
  const plan = await generatePlan({ ...options, onProgress: (f, m) => progress(0.1 * f, m) })
  const { conditions, cellStart, rates, truth, genes, params } = plan
  const nCells = cellStart[conditions.length]
  const nGenes = genes.length

  progress(0.1, 'sampling counts')
  let expected = 0
  rates.forEach((q, k) => (expected += (cellStart[k + 1] - cellStart[k]) * expectedNonZeros(q, truth.dispersion, params.libraryMedian)))
  const builder = new CsrBuilder(nCells, nGenes, expected * 1.03)
  for (const block of countBlocks(plan, (k) => progress(0.1 + (0.9 * cellStart[k + 1]) / nCells, 'sampling counts'))) {
    for (let r = 0; r < block.nRows; r++) builder.appendRow(block.indices, block.data, block.indptr[r], block.indptr[r + 1])
  }
  progress(1, 'dataset generated')
  return { ...syntheticTable(plan), X: builder.finish() }
}

/** Everything of the dataset but its counts: cells, genes, obs columns and the truth. */
export function syntheticTable(plan: SyntheticPlan): Omit<SyntheticDataset, 'X'> {
  const { conditions, cellStart, seed } = plan
  const nCells = cellStart[conditions.length]
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
  const guides = plan.params.guides
  let guideOf: { guide_identity: string[]; gem_group: Int32Array } | undefined
  if (guides) {
    const guideIdentity: string[] = new Array(nCells)
    for (const s of plan.segments) for (let i = s.start; i < s.end; i++) guideIdentity[i] = s.guide!
    const gemRng = Rng.derive(seed, 'gem-groups')
    const gemGroup = new Int32Array(nCells)
    for (let i = 0; i < nCells; i++) gemGroup[i] = 1 + gemRng.int(guides.gemGroups)
    guideOf = { guide_identity: guideIdentity, gem_group: gemGroup }
  }
  return {
    preset: plan.preset,
    seed,
    params: plan.params,
    scale: plan.scale,
    cells: barcodes(nCells, seed),
    genes: plan.genes,
    obs: {
      condition,
      cell_type: new Array(nCells).fill(CELL_TYPE),
      condition_name: condition.map((c, i) => `${CELL_TYPE}_${c}_${doseVal[i]}`),
      dose_val: doseVal,
      control,
      ...guideOf,
    },
    singles: plan.singles,
    combos: plan.combos,
    controlCells: cellStart[1],
    truth: plan.truth,
  }
}

/**
 * The count matrix one condition at a time: a CSR block of that condition's cells (rows in
 * order), sampled from its own random stream, so blocks can be written as they come and the
 * whole matrix is never held. `onCondition(k)` runs after block k.
 */
export function* countBlocks(plan: SyntheticPlan, onCondition?: (k: number) => void): Generator<CsrMatrix> {
  const { conditions, cellStart, truth, params, seed, genes } = plan
  const sampler = new CountSampler(truth.dispersion)
  const byCondition: SyntheticSegment[][] = conditions.map(() => [])
  for (const s of plan.segments) byCondition[s.condition].push(s)
  for (let k = 0; k < conditions.length; k++) {
    let expected = 0
    for (const s of byCondition[k]) expected += (s.end - s.start) * expectedNonZeros(s.rate, truth.dispersion, params.libraryMedian)
    const builder = new CsrBuilder(cellStart[k + 1] - cellStart[k], genes.length, expected * 1.03)
    const rng = Rng.derive(seed, 'counts', conditions[k])
    for (const s of byCondition[k]) sampler.sample(s.rate, truth.librarySize.subarray(s.start, s.end), rng, builder)
    yield builder.finish()
    onCondition?.(k)
  }
}

/** The ground truth alone (fast: no cells are sampled). */
export async function generatePlan(options: SyntheticOptions): Promise<SyntheticPlan> {
  const { preset, seed, knowledge } = options
  if (!Number.isSafeInteger(seed) || seed < 0) throw new AppError('synthetic.bad-seed', `The seed must be a whole number ≥ 0 (got ${seed}).`)
  const base = PRESET_PARAMS[preset]
  if (!base) throw new AppError('synthetic.unknown-preset', `Unknown preset "${preset}"; use ${Object.keys(PRESET_PARAMS).join(' or ')}.`)
  const scale = options.scale ?? 1
  const params: SyntheticParams = scaleParams({ ...base, modality: options.modality ?? base.modality }, scale)
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

  // ── guides: each with its own knock-down efficiency; a single's rate is its cells' mixture ──
  const guideRates = new Map<number, { name: string; start: number; end: number; rate: Float64Array }[]>()
  let guideList: SyntheticGuide[] | undefined
  if (params.guides) {
    const gp = params.guides
    const guideRng = Rng.derive(seed, 'guides')
    guideList = []
    const split = (n: number, parts: number) => {
      const w = Array.from({ length: parts }, () => guideRng.range(0.6, 1.4))
      const total = w.reduce((a, b) => a + b, 0)
      const sizes = w.map((x) => Math.floor((x / total) * n))
      for (let i = 0, left = n - sizes.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % parts, left--) sizes[i]++
      return sizes
    }
    let at = 0
    split(cellStart[1], gp.controlGuides).forEach((n, i) => {
      const name = `non-targeting_${String(i + 1).padStart(5, '0')}`
      guideList!.push({ name, gene: 'ctrl', efficiency: 0, cells: n })
      guideRates.set(-1 - i, [{ name, start: at, end: at + n, rate: baseShare }])
      at += n
    })
    design.singles.forEach((g, s) => {
      const k = s + 1
      const u = selfEffect.get(g)!
      const parts: { name: string; start: number; end: number; rate: Float64Array }[] = []
      const mixture = new Float64Array(nGenes)
      let start = cellStart[k]
      split(cellStart[k + 1] - cellStart[k], gp.perGene).forEach((n, i) => {
        const weak = guideRng.bernoulli(gp.weakShare)
        const [lo, hi] = weak ? gp.weakEfficiency : gp.efficiency
        const efficiency = guideRng.range(lo, hi)
        const d = propagate(net, [[idx(g), efficiency * u]], params.steps, params.saturation)
        const rate = baseShare.map((p, j) => p * Math.exp(d[j]))
        for (let j = 0; j < nGenes; j++) mixture[j] += (n * rate[j]) / Math.max(1, cellStart[k + 1] - cellStart[k])
        const name = `${g}_${i + 1}`
        guideList!.push({ name, gene: g, efficiency, cells: n })
        parts.push({ name, start, end: start + n, rate })
        start += n
      })
      guideRates.set(k, parts)
      singleRate.set(g, mixture)
    })
  }

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
  const segments: SyntheticSegment[] = []
  rates.forEach((rate, k) => {
    const parts = k === 0 ? [...guideRates].filter(([key]) => key < 0).flatMap(([, p]) => p) : guideRates.get(k)
    if (parts?.length) for (const p of parts) segments.push({ condition: k, start: p.start, end: p.end, rate: p.rate, guide: p.name })
    else segments.push({ condition: k, start: cellStart[k], end: cellStart[k + 1], rate })
  })
  progress(1, 'ground truth ready')
  return {
    preset,
    seed,
    params,
    scale,
    genes,
    conditions,
    rates,
    cellStart,
    segments,
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
      ...(guideList ? { guides: guideList } : {}),
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
