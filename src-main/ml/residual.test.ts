import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from './backend'
import { fitBaselineFor, fitBaselinesWithPrior, predictBaseline } from './baselines'
import { defaultTrainConfig } from './config'
import type { ModelName } from './engine-types'
import { splitCoexpression } from './knowledge-graphs'
import { buildModelContext } from './models/context'
import { createModel, materialise, modelSpec } from './models/model'
import { loadModel, MODEL_FORMAT, modelArtifact, predict, storeCoexpression, storePrior, type Alpha, type LoadedModel } from './predict'
import { makeSplit } from './splits'
import { annotationsOf, screenFromCells, tinyScreen } from '../test-support/tiny-screen'
import type { TrainingData } from './engine-types'
import { evaluatePredictions } from './metrics'
import { mulberry32, randomNormalArray } from './random'
import { beatsPrior, choosePertGraph, CV_FOLDS, geneFolds, startAtPrior, train, usesCrossValidation } from './trainer'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

describe('residual models (docs/ml-engine.md §11.2)', () => {
  const data = tinyScreen({ singles: 10, pairs: 12, genes: 30 })
  const split = makeSplit(data.conditions, { kind: 'simulation', seed: 2 })
  const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
  const sets = [...split.test, ...split.train.slice(0, 6)].map((c) => genesOf.get(c)!).filter((g) => g.length > 0)

  /** A residual model as training starts it: at the prior (startAtPrior), on this screen's split. */
  async function untrainedAtPrior(config: ReturnType<typeof defaultTrainConfig>) {
    const coexp = splitCoexpression(data, split)
    const ctx = buildModelContext(data, coexp, config.hidden)
    const model = createModel(modelSpec(config), ctx, config.seed)
    materialise(model, [ctx.pertIndex.get('G0')!])
    const fitted = fitBaselinesWithPrior(data, split)
    await startAtPrior(model, fitted, data)
    return { coexp, ctx, model, fitted }
  }

  it.each(['gears', 'biodsnn-no-vae', 'biodsnn'] as ModelName[])('untrained %s predicts exactly the knowledge prior, also once stored and loaded', async (name) => {
    const config = defaultTrainConfig(name, { hidden: 8 })
    const { coexp, ctx, model, fitted } = await untrainedAtPrior(config)
    storeCoexpression(model.store, coexp)
    storePrior(model.store, fitted.prior!.state)
    const seen = new Set(split.train.flatMap((c) => genesOf.get(c)!))
    const loaded: LoadedModel = { config, data, model, baseline: null, residual: { prior: fitted.prior!, alpha: { single: 1, pairs: 1 } }, seenGenes: seen, baseCache: new Map(), dispose: () => {} }
    const expected = sets.map((g) => predictBaseline('knowledge_prior', fitted, g))
    // BioDSNN adds Δ to its VAE's regenerated control cells, calibrated to c̄ over all of them in float32.
    const tolerance = name === 'biodsnn' ? 1e-5 : 1e-6
    const check = (got: { mean: Float32Array }[]) => got.forEach((p, i) => p.mean.forEach((v, g) => expect(Math.abs(v - expected[i][g])).toBeLessThan(tolerance)))
    check(await predict(loaded, sets))
    // whatever control-cell sample is asked for (a sample's mean is not c̄)
    check(await predict(loaded, sets, { controlCells: 5, seed: 3 }))
    const params = await modelArtifact(model, { format: MODEL_FORMAT, model: name, hidden: 8, selfEffect: true, uncertainty: false, genes: ctx.G, pertGenes: ctx.P, seenGenes: [...seen].sort(), epoch: 0, priorGenes: fitted.prior!.state.trained, priorScale: true })
    const back = await loadModel({ params }, config, data)
    check(await predict(back, sets))
    back.dispose()
    model.dispose()
    ctx.dispose()
  })

  it('a BioDSNN run that kept no correction predicts the prior exactly, whatever its VAE learned', async () => {
    const config = defaultTrainConfig('biodsnn', { hidden: 8 })
    const { ctx, model, fitted } = await untrainedAtPrior(config)
    // a trained VAE: its regenerated control mean is no longer c̄
    model.store.get('vae.out.bias').assign(model.store.get('vae.out.bias').add(0.3))
    const seen = new Set(split.train.flatMap((c) => genesOf.get(c)!))
    const expected = sets.map((g) => predictBaseline('knowledge_prior', fitted, g))
    const worst = async (alpha: Alpha, kind?: 'single' | 'pairs') => {
      const loaded: LoadedModel = { config, data, model, baseline: null, residual: { prior: fitted.prior!, alpha }, seenGenes: seen, baseCache: new Map(), dispose: () => {} }
      const got = await predict(loaded, sets)
      const of = got.flatMap((p, i) => (kind === undefined || (p.genes.length > 1) === (kind === 'pairs') ? Array.from(p.mean, (v, g) => Math.abs(v - expected[i][g])) : []))
      return Math.max(...of)
    }
    expect(await worst({ single: 0, pairs: 0 })).toBeLessThan(1e-6)
    // with a correction kept, the base is the model's (the correction was validated on it)
    expect(await worst({ single: 0, pairs: 1 })).toBeGreaterThan(1e-2)
    // a correction kept for pairs only: single genes stay the prior exactly
    expect(await worst({ single: 0, pairs: 1 }, 'single')).toBeLessThan(1e-6)
    model.dispose()
    ctx.dispose()
  })

  it('is the default; a run keeps the prior when no epoch beats it, and α is stored with the run', async () => {
    const r = await train(data, defaultTrainConfig('gears', { hidden: 8, epochs: 2, cellsPerCondition: 8 }))
    for (const e of r.epochs) expect(e.alpha).toBeGreaterThanOrEqual(0)
    const back = await loadModel({ params: r.params }, defaultTrainConfig('gears', { hidden: 8 }), data)
    expect(back.residual).toBeDefined()
    const alpha = back.residual!.alpha
    if (r.bestEpoch === 0) expect(alpha).toEqual({ single: 0, pairs: 0 })
    else expect(alpha).toEqual({ single: r.epochs[r.bestEpoch - 1].alpha, pairs: r.epochs[r.bestEpoch - 1].alphaPairs })
    back.dispose()
  })

  it('a BioDSNN epoch that keeps no correction never displaces the prior', async () => {
    const r = await train(data, defaultTrainConfig('biodsnn', { hidden: 8, epochs: 2, cellsPerCondition: 8 }))
    const back = await loadModel({ params: r.params }, defaultTrainConfig('biodsnn', { hidden: 8 }), data)
    const best = r.epochs[r.bestEpoch - 1]
    const noCorrection = r.bestEpoch === 0 || (best.alpha === 0 && best.alphaPairs === 0)
    // an epoch that keeps no correction is the prior again: it never displaces epoch 0
    expect(r.bestEpoch > 0 && noCorrection).toBe(false)
    back.dispose()
  })

  it('--prior none trains the papers’ formulation, without a prior', async () => {
    const r = await train(data, defaultTrainConfig('gears', { hidden: 8, epochs: 1, cellsPerCondition: 8, prior: 'none' }))
    const back = await loadModel({ params: r.params }, defaultTrainConfig('gears', { hidden: 8, prior: 'none' }), data)
    expect(back.residual).toBeUndefined()
    expect(r.epochs[0].alpha).toBeUndefined()
    back.dispose()
  })

  it('folds for cross-validation are disjoint by gene and cover every gene', () => {
    const genes = Array.from({ length: 23 }, (_, i) => `G${i}`)
    const folds = geneFolds(genes, CV_FOLDS, 3)
    expect(folds).toHaveLength(CV_FOLDS)
    expect(folds.flat().sort()).toEqual([...genes].sort())
    expect(new Set(folds.flat()).size).toBe(genes.length)
    for (const f of folds) expect(f.length === 4 || f.length === 5).toBe(true)
    expect(geneFolds(genes, CV_FOLDS, 3)).toEqual(folds)
    expect(geneFolds(genes, CV_FOLDS, 4)).not.toEqual(folds)
  })

  it('on a small screen, chooses the epoch and α by cross-validation over genes and stores the choice', async () => {
    const small = tinyScreen({ singles: 12, pairs: 8, genes: 30 })
    const config = defaultTrainConfig('gears', { hidden: 8, epochs: 2, cellsPerCondition: 8 })
    const s = makeSplit(small.conditions, config.split)
    expect(usesCrossValidation(small, config, s)).toBe(true)
    expect(usesCrossValidation(small, { ...config, prior: 'none' }, s)).toBe(false)
    const r = await train(small, config)
    const sel = r.selection!
    expect(sel.kind).toBe('cross-validation')
    expect(sel.folds.flat().sort()).toEqual([...new Set([...s.train, ...s.val].flatMap((c) => small.conditions.find((x) => x.condition === c)!.genes))].sort())
    expect(sel.errors).toHaveLength(config.epochs + 1)
    // The choice is the lowest summed validation error over epochs (each at its best α), or the
    // prior (epoch 0) when that does not beat the prior by more than noise.
    const totals = sel.errors.map((e) => Math.min(...e.single) + Math.min(...e.pairs))
    expect([0, totals.indexOf(Math.min(...totals))]).toContain(sel.epoch)
    // The run trains exactly the chosen epochs and keeps the last, with the chosen α.
    expect(r.epochs).toHaveLength(sel.epoch)
    expect(r.bestEpoch).toBe(sel.epoch)
    const back = await loadModel({ params: r.params }, config, small)
    expect(back.residual!.alpha).toEqual(sel.epoch === 0 ? { single: 0, pairs: 0 } : sel.alpha)
    back.dispose()
  })

  it('keeps the network only where it beats the prior by more than two standard errors', () => {
    const prior = [1, 1, 1, 1, 1, 1]
    expect(beatsPrior([0.8, 0.82, 0.79, 0.81, 0.8, 0.78], prior)).toBe(true)
    // mean gain 0.1 with a standard error of ~0.07: within two of them, not kept
    expect(beatsPrior([0.7, 1.1, 0.75, 1.05, 0.8, 1.0], prior)).toBe(false)
    // A lower mean that one condition carries is noise.
    expect(beatsPrior([0.2, 1.1, 1.05, 1.1, 1.02, 1.08], prior)).toBe(false)
    expect(beatsPrior([1.1, 1.2, 1.1, 1.2, 1.1, 1.2], prior)).toBe(false)
    expect(beatsPrior([0.5], [1])).toBe(false)
  })

  it('trains with GO, Reactome or both perturbation graphs, and keeps the graph with the weights', async () => {
    const r = await train(data, defaultTrainConfig('gears', { hidden: 8, epochs: 1, cellsPerCondition: 8, pertGraph: 'both', prior: 'none' }))
    expect(r.pertGraph).toBe('both')
    const names = r.params!.manifest.entries.map((e) => e.name)
    expect(names).toEqual(expect.arrayContaining(['sim_layers.0.lin.weight', 'sim_layers.reactome.lin.weight']))
    const back = await loadModel({ params: r.params }, defaultTrainConfig('gears', { hidden: 8, prior: 'none' }), data)
    expect(back.model!.ctx.pertGraphs.map((g) => g.name)).toEqual(['go', 'reactome'])
    back.dispose()
  })

  it('auto chooses the perturbation graph by the prior’s validated Reactome share', () => {
    const prior = (lambda: number, rho: number) => ({ lambda, rho }) as unknown as Parameters<typeof choosePertGraph>[1]
    const withKnowledge = { knowledge: { annotations: {} } } as unknown as Parameters<typeof choosePertGraph>[2]
    expect(choosePertGraph({ pertGraph: 'auto' }, prior(0.9, 0.5), withKnowledge)).toBe('reactome')
    expect(choosePertGraph({ pertGraph: 'auto' }, prior(0.5, 0.5), withKnowledge)).toBe('both')
    expect(choosePertGraph({ pertGraph: 'auto' }, prior(0.1, 0.5), withKnowledge)).toBe('go')
    expect(choosePertGraph({ pertGraph: 'auto' }, prior(0.9, 0), withKnowledge)).toBe('go')
    expect(choosePertGraph({ pertGraph: 'auto' }, undefined, withKnowledge)).toBe('go')
    expect(choosePertGraph({ pertGraph: 'reactome' }, undefined, withKnowledge)).toBe('reactome')
  })

  it('a run on a screen of singles predicts pairs: the prior’s sum of singles, with no network correction it was never validated on', async () => {
    const singles = tinyScreen({ singles: 10, pairs: 0, genes: 30 })
    const config = defaultTrainConfig('gears', { hidden: 8, epochs: 2, cellsPerCondition: 8 })
    const r = await train(singles, config)
    const back = await loadModel({ params: r.params }, config, singles)
    expect(back.residual!.alpha.pairs).toBe(0)
    const [pair] = await predict(back, [['G0', 'G1']])
    const prior = back.residual!.prior
    const expected = prior.delta(['G0', 'G1']).map((d, g) => Math.max(0, singles.controlMean[g] + d))
    pair.mean.forEach((v, g) => expect(Math.abs(v - expected[g])).toBeLessThan(1e-5))
    back.dispose()
  })

  it('beats the prior where the screen has structure the prior misses: pathway-mates that buffer each other', async () => {
    // Six pathways of six perturbed genes: a gene's change is its pathway's response plus its own
    // knock-down; a pair of pathway-mates changes 0.4 × the sum of its singles, other pairs add.
    // The prior sums the singles; the network can learn the buffering from the trained pairs.
    const data = bufferingScreen(1)
    const r = await train(data, defaultTrainConfig('gears', { hidden: 32, epochs: 20, cellsPerCondition: 16 }))
    const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
    const fitted = fitBaselineFor('knowledge_prior', data, r.split)
    const prior = evaluatePredictions(data, r.split.test, new Map(r.split.test.map((c) => [c, predictBaseline('knowledge_prior', fitted, genesOf.get(c)!)])), r.split.testGroups)
    expect(r.selection?.alpha.pairs).toBeGreaterThan(0)
    expect(r.test.overall.mse_de).toBeLessThan(0.8 * prior.overall.mse_de)
    expect(r.test.groups.combo_seen1!.mse_de).toBeLessThan(prior.groups.combo_seen1!.mse_de)
  }, 120_000)
})

/** A screen whose pairs of pathway-mates buffer each other (0.4 × the sum of their singles). */
function bufferingScreen(seed: number): TrainingData {
  const rand = mulberry32(seed)
  const G = 80
  const pathways = 6
  const perPathway = 6
  const perturbed = pathways * perPathway
  const genes = Array.from({ length: G }, (_, i) => `G${i}`)
  const base = Float32Array.from({ length: G }, () => 2 + rand())
  const responses = Array.from({ length: pathways }, () => randomNormalArray(G, rand, 0.6))
  const single = Array.from({ length: perturbed }, (_, g) => {
    const e = Float32Array.from(responses[Math.floor(g / perPathway)], (v) => v + 0.15 * (rand() - 0.5))
    e[g] = -1.5
    return e
  })
  const conds: { name: string; genes: string[]; effect: Float32Array }[] = [{ name: 'ctrl', genes: [], effect: new Float32Array(G) }]
  single.forEach((e, g) => conds.push({ name: `G${g}+ctrl`, genes: [`G${g}`], effect: e }))
  for (let a = 0; a < perturbed; a++) {
    for (let b = a + 1; b < perturbed; b++) {
      if (rand() > 0.25) continue
      const k = Math.floor(a / perPathway) === Math.floor(b / perPathway) ? 0.4 : 1
      conds.push({ name: `G${a}+G${b}`, genes: [`G${a}`, `G${b}`], effect: Float32Array.from(single[a], (v, j) => k * (v + single[b][j])) })
    }
  }
  const cells = conds.map((c) => Array.from({ length: c.genes.length ? 25 : 200 }, () => Float32Array.from({ length: G }, (_, j) => Math.max(0, base[j] + c.effect[j] + 0.8 * (rand() - 0.5)))))
  const l1 = genes.map((_, g) => (g < perturbed ? [Math.floor(g / perPathway)] : []))
  const go = genes.map(() => [100 + Math.floor(rand() * 30), 200 + Math.floor(rand() * 30)])
  return screenFromCells(genes, conds.map((c, i) => ({ name: c.name, genes: c.genes, cells: cells[i] })), { pertGenes: genes, annotations: annotationsOf(go, l1) })
}
