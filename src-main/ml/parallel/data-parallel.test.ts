import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { defaultTrainConfig } from '../config'
import type { EpochReport, TrainConfig, TrainingData } from '../engine-types'
import { ParamStore } from '../layers/param-store'
import { loadParams, type ParamsArtifact } from '../serialize'
import { tinyScreen } from '../../test-support/tiny-screen'
import { affordableWorkers, train } from '../trainer'
import { planShards, type Visit } from '../train-step'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

/** Every parameter's values after each epoch, and the epochs' reports. */
async function trainedWith(data: TrainingData, config: TrainConfig): Promise<{ epochs: EpochReport[]; params: Map<string, Float32Array>[]; workers?: number; test: Record<string, number> }> {
  const params: Map<string, Float32Array>[] = []
  const r = await train(data, config, {
    onEpoch: (_report, artifact: ParamsArtifact) => {
      const store = new ParamStore(0)
      loadParams(store, artifact)
      params.push(new Map(store.list().map((e) => [e.name, e.variable.dataSync() as Float32Array])))
      store.dispose()
    },
  })
  return { epochs: r.epochs, params, workers: r.workers, test: r.test.overall as unknown as Record<string, number> }
}

/**
 * A linear layer's bias that a BatchNorm follows has an exact gradient of 0 (the norm removes it);
 * the computed one is float rounding, which Adam turns into steps of ±lr whatever the worker count
 * (PyTorch's too). Those biases, and the running mean that follows them, differ between any two
 * summation orders and are left out of the weights' comparison; through the running mean they move
 * inference outputs slightly, so validation and test metrics are compared to 1e-3.
 */
const roundingOnly = (name: string, names: Map<string, unknown>) => {
  const m = /^(.*)\.(linear\.bias|bn\.running_mean)$/.exec(name)
  return m !== null && names.has(`${m[1]}.bn.gamma`)
}

const relative = (x: number, y: number) => Math.abs(x - y) / Math.max(1e-3, Math.abs(y))

function largestDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { name: string; diff: number } {
  let worst = { name: '', diff: 0 }
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort())
  for (const [name, x] of a) {
    if (roundingOnly(name, a)) continue
    const y = b.get(name)!
    // ‖x − y‖ / max(1, ‖x‖) per parameter tensor
    let dd = 0
    let xx = 0
    for (let i = 0; i < x.length; i++) {
      dd += (x[i] - y[i]) ** 2
      xx += x[i] ** 2
    }
    const d = Math.sqrt(dd) / Math.max(1, Math.sqrt(xx))
    if (d > worst.diff) worst = { name, diff: d }
  }
  return worst
}

describe('data-parallel training (issue 23)', () => {
  const data = tinyScreen({ singles: 10, pairs: 14, genes: 30 })

  it.each(['gears', 'biodsnn'] as const)('%s: two workers train the same weights as one, to 1e-5, step after step', async (model) => {
    // One step per epoch (every training condition, 8 cells each), three steps: BatchNorm over
    // conditions, the loss's means, dropout and the VAE's noise (BioDSNN) all cross the workers' parts.
    const config = defaultTrainConfig(model, { epochs: 3, batchConditions: 64, cellsPerCondition: 8, prior: 'none' })
    const one = await trainedWith(data, config)
    const two = await trainedWith(data, { ...config, workers: 2 })
    expect(one.workers).toBeUndefined()
    expect(two.workers).toBe(2)
    for (let e = 0; e < 3; e++) {
      const worst = largestDifference(one.params[e], two.params[e])
      expect(worst.diff, `after step ${e + 1}: ${worst.name}`).toBeLessThan(1e-5)
      for (const [k, v] of Object.entries(one.epochs[e].losses)) expect(two.epochs[e].losses[k], `step ${e + 1} loss ${k}`).toBeCloseTo(v, 5)
      for (const [k, v] of Object.entries(one.epochs[e].val)) if (Number.isFinite(v)) expect(relative(two.epochs[e].val[k as keyof EpochReport['val']], v), `step ${e + 1} validation ${k}`).toBeLessThan(1e-3)
    }
    for (const [k, v] of Object.entries(one.test)) if (Number.isFinite(v)) expect(relative(two.test[k], v), `test ${k}`).toBeLessThan(1e-3)
  }, 120_000)

  it('a residual run with cross-validation on two workers equals one worker', async () => {
    const config = defaultTrainConfig('gears', { epochs: 1, batchConditions: 4, cellsPerCondition: 8, prior: 'knowledge' })
    const one = await train(data, config)
    const two = await train(data, { ...config, workers: 2 })
    expect(two.workers).toBe(2)
    expect(two.selection!.epoch).toBe(one.selection!.epoch)
    expect(two.selection!.alpha).toEqual(one.selection!.alpha)
    expect(two.selection!.folds).toEqual(one.selection!.folds)
    two.selection!.errors.forEach((e, i) => e.single.concat(e.pairs).forEach((v, k) => expect(v).toBeCloseTo(one.selection!.errors[i].single.concat(one.selection!.errors[i].pairs)[k], 5)))
    expect(two.test.overall.mse_de).toBeCloseTo(one.test.overall.mse_de, 6)
  }, 120_000)
})

describe('planShards', () => {
  const visit = (cells: number, perts: number[] = [1]): Visit => ({ condition: 'x', perts, cells: new Int32Array(cells), controls: new Int32Array(cells), genes: null })

  it('splits a step into contiguous parts of about equal cost, one per worker', () => {
    expect(planShards([visit(32), visit(32), visit(32), visit(32)], 2)).toEqual({ active: 2, bounds: [0, 2, 4] })
    expect(planShards([visit(8), visit(8), visit(8)], 8)).toEqual({ active: 3, bounds: [0, 1, 2, 3] })
    // A large perturbed chunk takes a worker to itself.
    expect(planShards([visit(1024), visit(32), visit(32), visit(32)], 2)).toEqual({ active: 2, bounds: [0, 1, 4] })
  })

  it('gives every part a perturbed condition (ctrl visits join a neighbour), and keeps a step with fewer than two on one worker', () => {
    // A control chunk alone would skip the fuse MLP's BatchNorm sums the other part waits in.
    expect(planShards([visit(1024, []), visit(32), visit(32), visit(32)], 2)).toEqual({ active: 2, bounds: [0, 2, 4] })
    expect(planShards([visit(8), visit(8, []), visit(8, []), visit(8)], 2)).toEqual({ active: 2, bounds: [0, 2, 4] })
    expect(planShards([visit(8, []), visit(8), visit(8, []), visit(8)], 4)).toEqual({ active: 2, bounds: [0, 2, 4] })
    expect(planShards([visit(8, []), visit(8)], 2)).toEqual({ active: 1, bounds: [0, 2] })
    for (let n = 2; n < 12; n++) {
      const batch = Array.from({ length: n }, (_, i) => visit(8 + 50 * (i % 3), i % 3 === 0 ? [] : [1]))
      for (const w of [2, 3, 5]) {
        const { active, bounds } = planShards(batch, w)
        for (let r = 0; r < active; r++) expect(batch.slice(bounds[r], bounds[r + 1]).some((v) => v.perts.length > 0), `n ${n}, w ${w}, part ${r}`).toBe(true)
        expect(bounds).toHaveLength(active + 1)
      }
    }
  })
})

describe('affordableWorkers', () => {
  it('keeps the workers whose copies of the model and shares of a step fit in half the memory', () => {
    const data = tinyScreen({ genes: 5000, singles: 4, pairs: 2 })
    const config = defaultTrainConfig('gears', { workers: 8 })
    expect(affordableWorkers(8, data, config, 64 * 1024 ** 3)).toBe(8)
    expect(affordableWorkers(8, data, config, 4 * 1024 ** 3)).toBeLessThan(8)
    expect(affordableWorkers(8, data, config, 512 * 1024 ** 2)).toBe(1)
    expect(affordableWorkers(1, data, config)).toBe(1)
  })
})
