import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from './backend'
import { defaultTrainConfig } from './config'
import { BASELINE_NAMES, type EpochReport, type TrainConfig, type TrainingData, type TrainProgress } from './engine-types'
import { loadModel, predict, predictDeltas } from './predict'
import type { ParamsArtifact } from './serialize'
import { estimateMemory, MAX_VISIT_CELLS, planEpoch, train } from './trainer'
import { makeSplit } from './splits'
import { fitBaselines, predictBaseline } from './baselines'
import { mulberry32 } from './random'
import { tinyScreen } from '../test-support/tiny-screen'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

describe('train: baselines', () => {
  const data = tinyScreen({ singles: 10, pairs: 14, genes: 30 })

  it.each(BASELINE_NAMES)('fits %s in closed form and evaluates it on the test split', async (name) => {
    const r = await train(data, defaultTrainConfig(name))
    expect(r.backend.backend).toBe('wasm')
    expect(r.epochs).toEqual([])
    expect(r.params).toBeUndefined()
    expect(r.fitted!.train_mean_delta).toHaveLength(30)
    expect(r.test.overall.n).toBe(r.split.test.length)
    expect(Object.keys(r.test.perCondition).sort()).toEqual([...r.split.test].sort())
    if (name === 'no_perturb') expect(r.test.overall.mse_de_norm).toBeCloseTo(1, 12)
    else expect(r.test.overall.mse_de_norm).toBeLessThan(1)
  })

  it('on this additive screen, additive beats train_mean on seen-2 pairs', async () => {
    const [add, tm] = await Promise.all([train(data, defaultTrainConfig('additive')), train(data, defaultTrainConfig('train_mean'))])
    expect(add.test.groups.combo_seen2!.mse_de).toBeLessThan(tm.test.groups.combo_seen2!.mse_de)
  })
})

describe('train: bad input', () => {
  const data = tinyScreen()
  const withoutControls = (): TrainingData => ({ ...data, conditions: data.conditions.filter((c) => c.condition !== 'ctrl') })

  it.each([
    ['epochs 0', data, { epochs: 0 }, 'train.invalid-epochs'],
    ['an unknown model', data, { model: 'gpt' as never }, 'train.unknown-model'],
    ['no control cells', withoutControls(), {}, 'train.no-control-cells'],
    ['a single condition', { ...data, conditions: data.conditions.slice(0, 2) }, {}, 'train.single-condition'],
  ])('refuses %s with a clear error', async (_what, d, overrides, code) => {
    await expect(train(d as TrainingData, defaultTrainConfig('train_mean', overrides))).rejects.toMatchObject({ code })
  })
})

/**
 * A small, fast GEARS config in the papers' formulation (`prior: 'none'`; the residual default is
 * tested in residual.test.ts): hidden 8, 8 cells per condition, 4 conditions per batch (not the
 * default 8, so the tiny screen gets the several steps per epoch that the stop and loss tests rely on).
 */
const small = (overrides: Partial<TrainConfig> = {}) => defaultTrainConfig('gears', { hidden: 8, epochs: 3, cellsPerCondition: 8, batchConditions: 4, prior: 'none', ...overrides })

describe('train: GEARS', () => {
  const data = tinyScreen({ singles: 10, pairs: 10, genes: 30 })

  it('lowers the training loss, reports each epoch with its weights and evaluates the best one', async () => {
    const reports: EpochReport[] = []
    const checkpoints: (ParamsArtifact | undefined)[] = []
    const progress: TrainProgress[] = []
    const r = await train(data, small({ epochs: 6, lr: 5e-3, schedule: { kind: 'step', every: 10, factor: 0.5 } }), {
      onEpoch: (e, params, _best, optimizer) => {
        reports.push(e)
        checkpoints.push(params)
        expect(optimizer?.manifest.entries.length).toBeGreaterThan(0)
      },
      onProgress: (p) => progress.push(p),
    })
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6])
    expect(reports).toEqual(r.epochs)
    expect(checkpoints.every((c) => c && c.data.byteLength > 0)).toBe(true)
    expect(r.epochs[5].losses.total).toBeLessThan(r.epochs[0].losses.total)
    expect(Object.keys(r.epochs[0].losses).sort()).toEqual(['autofocus', 'direction', 'total'])
    const best = r.epochs.reduce((a, b) => (b.val.mse_de < a.val.mse_de ? b : a))
    // The starting point competes as epoch 0; a trained epoch wins only as the best of them all.
    expect([0, best.epoch]).toContain(r.bestEpoch)
    expect(r.params!.manifest.meta).toMatchObject({ model: 'gears', epoch: r.bestEpoch })
    expect(r.test.overall.n).toBeGreaterThan(0)
    expect(Number.isFinite(r.test.overall.pearson_delta)).toBe(true)
    // Progress: at most one event per 100 ms plus the last step of each epoch.
    expect(progress.length).toBeGreaterThanOrEqual(6)
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: 6, lr: 5e-3 })
    expect(progress.every((p) => p.cellsPerSecond > 0 && p.memory.rssMb > 0 && p.etaSeconds >= 0)).toBe(true)
  })

  it('is reproducible with a seed on the same backend, and a resumed run equals an uninterrupted one', async () => {
    const config = small({ epochs: 4 })
    const saved: { params: ParamsArtifact; optimizer: ParamsArtifact; report: EpochReport }[] = []
    const a = await train(data, config, { onEpoch: (report, params, _b, optimizer) => void saved.push({ params: params!, optimizer: optimizer!, report }) })
    const b = await train(data, config)
    expect(b.epochs.map((e) => e.losses)).toEqual(a.epochs.map((e) => e.losses))
    expect(Buffer.from(b.params!.data).equals(Buffer.from(a.params!.data))).toBe(true)
    const resumed = await train(data, config, {}, { fromEpoch: 2, params: saved[1].params, optimizer: saved[1].optimizer, epochs: saved.slice(0, 2).map((s) => s.report), bestEpoch: a.epochs.slice(0, 2).reduce((x, y) => (y.val.mse_de < x.val.mse_de ? y : x)).epoch, bestParams: undefined })
    expect(resumed.epochs.map((e) => e.losses)).toEqual(a.epochs.map((e) => e.losses))
    expect(resumed.epochs[3].val).toEqual(a.epochs[3].val)
  })

  it('keeps the starting point (epoch 0) when no epoch beats it on validation', async () => {
    // Steps this large wreck the weights: every epoch validates worse than the start.
    const r = await train(data, small({ epochs: 2, lr: 0.5, schedule: { kind: 'step', every: 5, factor: 1 } }))
    expect(r.bestEpoch).toBe(0)
    expect(r.params!.manifest.meta).toMatchObject({ epoch: 0 })
    expect(r.epochs).toHaveLength(2)
  })

  it('stops between steps when asked and keeps the best completed epoch', async () => {
    let steps = 0
    let epochsDone = 0
    const r = await train(data, small({ epochs: 5 }), { onEpoch: () => void epochsDone++, onProgress: () => {}, shouldStop: () => epochsDone >= 1 && ++steps >= 2 })
    expect(r.stopped).toBe(true)
    expect(r.epochs).toHaveLength(1)
    expect(r.bestEpoch).toBe(1)
    expect(r.test.overall.n).toBeGreaterThan(0)
  })

  it('hears a stop request sent as a message while epochs have a single step', async () => {
    // The worker's 'stop' arrives as a macrotask: the loop must yield to it even when no epoch
    // reaches a fourth step (it once yielded only every 4 steps, so such a run could not be cancelled).
    let stop = false
    let epochsDone = 0
    const r = await train(data, small({ epochs: 40, batchConditions: 1000 }), {
      onEpoch: () => {
        if (++epochsDone === 2) setImmediate(() => (stop = true))
      },
      shouldStop: () => stop,
    })
    expect(r.stopped).toBe(true)
    expect(r.epochs.length).toBeLessThan(5)
  })

  it('predicts from the saved weights exactly as evaluated, and refuses unknown genes', async () => {
    const config = small({ epochs: 2, uncertainty: true })
    const r = await train(data, config)
    const loaded = await loadModel({ params: r.params }, config, data)
    const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
    const name = r.split.test[0]
    const [p] = await predict(loaded, [genesOf.get(name)!])
    const again = await predict(loaded, [[...genesOf.get(name)!].reverse(), ['G1']])
    expect(p.mean).toHaveLength(30)
    expect(p.variance!.every((v) => v > 0)).toBe(true)
    // The mean is the control mean + Δ, floored at 0 (no mean expression is negative).
    const { delta } = await predictDeltas(loaded.model!, [genesOf.get(name)!.map((g) => loaded.model!.ctx.pertIndex.get(g)!)])
    expect(Array.from(p.mean)).toEqual(Array.from(data.controlMean, (c, g) => Math.max(0, Math.fround(c + delta[g]))))
    expect(Array.from(again[0].mean)).toEqual(Array.from(p.mean))
    await expect(predict(loaded, [['NOPE']])).rejects.toThrow(expect.objectContaining({ code: 'predict.unknown-gene' }))
    loaded.dispose()
  })

  it('trains without a knowledge base, and leaves out (with the reason) unseen genes it cannot predict', async () => {
    const bare = tinyScreen({ singles: 10, pairs: 10, genes: 30, withKnowledge: false })
    const r = await train(bare, small({ epochs: 1 }))
    // Seen = perturbed in a training condition (genes held out for validation are unseen too).
    const genesOf = new Map(bare.conditions.map((c) => [c.condition, c.genes]))
    const trained = new Set(r.split.train.flatMap((c) => genesOf.get(c)!))
    const unseen = r.split.test.filter((c) => genesOf.get(c)!.some((g) => !trained.has(g)))
    expect(unseen.length).toBeGreaterThan(0)
    expect(Object.keys(r.test.excluded ?? {}).sort()).toEqual(unseen.sort())
    expect(Object.values(r.test.excluded!)[0]).toMatch(/no GO partners/)
    expect(r.test.overall.n).toBe(r.split.test.length - unseen.length)
  })

  it('refuses a run too large for the wasm heap before it starts', async () => {
    expect(estimateMemory('biodsnn', 5045, 20000, { batchConditions: 4, cellsPerCondition: 'all', hidden: 64 }).bytes).toBeLessThan(3 * 1024 ** 3)
    await expect(train(data, small({ batchConditions: 100000 }))).rejects.toMatchObject({ code: 'train.too-large', message: /--batch-conditions/ })
  })
})

describe('train: the starting point', () => {
  const data = tinyScreen({ singles: 10, pairs: 10, genes: 30 })

  // A step too small to move anything: the weights stay at the start (startFromBaselines). (GEARS'
  // cross-gene stage, also in biodsnn-no-attention, adds a small random term to that start.)
  it.each(['biodsnn', 'biodsnn-no-vae'] as const)('%s starts where train_mean_self is, the VAE regenerating the control mean exactly', async (model) => {
    const config = defaultTrainConfig(model, { hidden: 8, epochs: 1, cellsPerCondition: 8, batchConditions: 4, lr: 1e-12, schedule: { kind: 'step', every: 5, factor: 1 }, prior: 'none' })
    const r = await train(data, config)
    const loaded = await loadModel({ params: r.params }, config, data)
    const fitted = fitBaselines(data, r.split)
    const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
    for (const name of r.split.test) {
      const genes = genesOf.get(name)!
      const [p] = await predict(loaded, [genes])
      const expected = predictBaseline('train_mean_self', fitted, genes)
      const worst = Math.max(...Array.from(p.mean, (v, g) => Math.abs(v - Math.max(0, expected[g]))))
      expect(worst, name).toBeLessThan(1e-4)
    }
    loaded.dispose()
  })
})

describe('planEpoch', () => {
  it('visits every training condition once (all cells in chunks), pairs each cell with another control cell, never leaves a lone batch', () => {
    const data = tinyScreen({ controlCells: MAX_VISIT_CELLS + 10, cellsPerCondition: 6 })
    const split = makeSplit(data.conditions, { kind: 'simulation', seed: 2 })
    const pertIndex = new Map(data.knowledge.pertGenes.map((g, i) => [g, i]))
    const batches = planEpoch(data, split, pertIndex, { cellsPerCondition: 'all', batchConditions: 3 }, mulberry32(1))
    const visits = batches.flat()
    const ctrlCells = new Set(data.conditions[0].cells)
    expect(batches.every((b) => b.length >= 2)).toBe(true)
    expect(visits.filter((v) => v.condition === 'ctrl').map((v) => v.cells.length).sort((a, b) => a - b)).toEqual([10, MAX_VISIT_CELLS])
    const byCond = new Map(data.conditions.map((c) => [c.condition, c]))
    for (const name of split.train) {
      const cells = visits.filter((v) => v.condition === name).flatMap((v) => Array.from(v.cells)).sort((a, b) => a - b)
      expect(cells).toEqual(Array.from(byCond.get(name)!.cells).sort((a, b) => a - b))
    }
    for (const v of visits) v.controls.forEach((c, i) => (expect(ctrlCells.has(c)).toBe(true), expect(c).not.toBe(v.cells[i])))
    const sampled = planEpoch(data, split, pertIndex, { cellsPerCondition: 4, batchConditions: 3 }, mulberry32(1)).flat()
    expect(sampled.every((v) => v.cells.length === 4)).toBe(true)
    expect(tf.getBackend()).toBe('wasm')
  })
})
