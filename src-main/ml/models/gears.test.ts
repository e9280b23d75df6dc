import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { inferenceMode, trainingMode } from '../layers/mode'
import { ParamStore } from '../layers/param-store'
import { gcnNormalize, graphTensors, sgconv } from '../layers/sgconv'
import { embedding } from '../layers/embedding'
import { tinyScreen } from '../../test-support/tiny-screen'
import { tinyModelContext } from '../../test-support/tiny-model'
import { maxAbsDiff } from '../../test-support/tensors'
import type { ModelContext } from './context'
import { createModel, materialise, modelSpec } from './model'
import { pertStates } from './knowledge-stream'

const data = tinyScreen()
let ctx: ModelContext
const p = (g: string) => ctx.pertIndex.get(g)!

beforeAll(async () => {
  ctx = await tinyModelContext(data)
})

describe('GEARS forward', () => {
  it('gives Δ [conditions, genes] that depends only on the condition, not on its batch neighbours', () => {
    const model = createModel(modelSpec({ model: 'gears', selfEffect: true, uncertainty: true }), ctx, 3)
    materialise(model, [p('G1')])
    const run = (conds: number[][]) => tf.tidy(() => {
      const o = model.forward(conds, inferenceMode)
      return { delta: o.delta.arraySync() as number[][], logvar: o.logvar!.arraySync() as number[][] }
    })
    const a = run([[p('G1')], [p('G2'), p('G3')], []])
    const b = run([[p('G5')], [], [p('G1')], [p('G2'), p('G3')]])
    expect(a.delta).toHaveLength(3)
    expect(a.delta[0]).toHaveLength(data.genes.length)
    expect(maxAbsDiff(a.delta[0], b.delta[2])).toBeLessThan(1e-5)
    expect(maxAbsDiff(a.delta[1], b.delta[3])).toBeLessThan(1e-5)
    expect(maxAbsDiff(a.logvar[2], b.logvar[1])).toBeLessThan(1e-5)
    // Gene order in a set does not matter (A+B = B+A).
    expect(maxAbsDiff(run([[p('G3'), p('G2')], []]).delta[0], a.delta[1])).toBeLessThan(1e-5)
    model.dispose()
  })

  it('computes the GO SGConv for the needed rows only, equal to running it over the whole vocabulary', () => {
    const store = new ParamStore(4)
    const needed = [[p('G2')], [p('G0'), p('G5')]]
    const { h, local } = pertStates(store, ctx, needed)
    const go = data.knowledge.goEdges!
    const full = tf.tidy(() => {
      const g = graphTensors(gcnNormalize({ numNodes: ctx.P, src: go.source, dst: go.target, weight: go.weight }))
      // Same weights: the store already holds pert_emb (renormalised rows) and the linear.
      return sgconv(store, 'sim_layers.0', embedding(store, 'pert_emb', ctx.P, ctx.H, { maxNorm: 1 }), g, ctx.H).arraySync() as number[][]
    })
    const ours = h.arraySync() as number[][]
    for (const [row, i] of local) expect(maxAbsDiff(ours[i], full[row])).toBeLessThan(1e-5)
  })

  it('trains the self-effect link only where the target gene is measured, and not at all when switched off', () => {
    const on = createModel(modelSpec({ model: 'gears', selfEffect: true, uncertainty: false }), ctx, 3)
    const off = createModel(modelSpec({ model: 'gears', selfEffect: false, uncertainty: false }), ctx, 3)
    materialise(on, [p('G1')])
    materialise(off, [p('G1')])
    expect(on.store.has('self_effect.scale.bias')).toBe(true)
    expect(off.store.has('self_effect.scale.bias')).toBe(false)
    on.store.get('self_effect.shift.bias').assign(tf.tensor1d([2]))
    const d = (m: typeof on, conds: number[][]) => tf.tidy(() => m.forward(conds, inferenceMode).delta.arraySync() as number[][])
    const withLink = d(on, [[p('G1')], [p('X_ONLY_GO')]])
    const without = d(off, [[p('G1')], [p('X_ONLY_GO')]])
    // Same seed, same weights elsewhere: the only difference is +2 on G1's own expression.
    const diff = withLink[0].map((v, g) => v - without[0][g])
    expect(diff[1]).toBeCloseTo(2, 4)
    expect(Math.max(...diff.filter((_, g) => g !== 1).map(Math.abs))).toBeLessThan(1e-5)
    // X_ONLY_GO is not measured: no shift anywhere.
    expect(maxAbsDiff(withLink[1], without[1])).toBeLessThan(1e-5)
    on.dispose()
    off.dispose()
  })

  it('is deterministic for a seed in training mode (dropout-free GEARS, BatchNorm on batch statistics)', () => {
    const out = () => {
      const m = createModel(modelSpec({ model: 'gears', selfEffect: true, uncertainty: false }), ctx, 9)
      materialise(m, [p('G1')])
      const v = tf.tidy(() => m.forward([[p('G1')], [p('G2')], []], trainingMode(1)).delta.dataSync())
      m.dispose()
      return v
    }
    expect(maxAbsDiff(out(), out())).toBe(0)
  })
})
