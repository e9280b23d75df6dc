import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from './backend'
import { denseRows } from './expression'
import { klDivergence, perturbationLoss, reconstructionLoss, type LossVisit, type PerturbationLossOptions } from './losses'
import { mulberry32 } from './random'
import { tinyScreen } from '../test-support/tiny-screen'
import { maxAbsDiff, randomTensor } from '../test-support/tensors'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

const data = tinyScreen({ genes: 16, singles: 4, pairs: 2, cellsPerCondition: 5, controlCells: 12 })
const G = data.genes.length
const ctrlCells = data.conditions[0].cells
const rand = mulberry32(5)
// Three visits: a single (its non-zero genes), a pair, and ctrl (all genes).
const visits: LossVisit[] = [1, 5, 0].map((ci) => {
  const c = data.conditions[ci]
  const cells = c.cells.slice(0, 4)
  return { cells, controls: Int32Array.from(cells, () => ctrlCells[Math.floor(rand() * ctrlCells.length)]), genes: c.de ? c.de.nonZerosGeneIdx.slice(0, 10) : null }
})
const nCells = visits.reduce((s, v) => s + v.cells.length, 0)

/** The same loss from tfjs ops on dense tensors: an independent reimplementation of docs/ml-engine.md §5. */
function referenceLoss(delta: tf.Tensor2D, o: PerturbationLossOptions, recon?: tf.Tensor2D, logvar?: tf.Tensor2D): tf.Scalar {
  const cbar = tf.tensor1d(data.controlMean)
  let total: tf.Tensor = tf.scalar(0)
  let row = 0
  visits.forEach((v, i) => {
    const n = v.cells.length
    const y = tf.tensor2d(denseRows(data.expression, v.cells), [n, G])
    let c: tf.Tensor = tf.tensor2d(denseRows(data.expression, v.controls), [n, G])
    if (recon) c = tf.mul(tf.slice(recon, [row, 0], [n, G]), tf.cast(tf.notEqual(c, 0), 'float32'))
    row += n
    const pred = tf.add(c, tf.slice(delta, [i, 0], [1, G]))
    const genes = v.genes ? Array.from(v.genes) : Array.from({ length: G }, (_, g) => g)
    const idx = tf.tensor1d(genes, 'int32')
    const e = tf.gather(tf.sub(pred, y), idx, 1)
    const af = tf.mean(tf.pow(tf.abs(e), 2 + o.gamma))
    const z = tf.gather(tf.sub(pred, cbar), idx, 1)
    const s = o.direction === 'tanh' ? tf.tanh(tf.mul(z, o.tanhK)) : tf.sign(z)
    const dir = tf.mean(tf.square(tf.sub(s, tf.sign(tf.gather(tf.sub(y, cbar), idx, 1)))))
    let term = tf.add(af, tf.mul(dir, o.lambdaDirection))
    if (logvar) {
      const l = tf.gather(tf.slice(logvar, [i, 0], [1, G]), idx, 1)
      const nll = o.uncertaintyReference ? tf.mean(tf.mul(tf.exp(tf.neg(l)), tf.pow(tf.abs(e), 2 + o.gamma))) : tf.mean(tf.mul(0.5, tf.add(tf.mul(tf.square(e), tf.exp(tf.neg(l))), l)))
      term = tf.add(term, nll)
    }
    total = tf.add(total, term)
  })
  return tf.div(total, visits.length) as tf.Scalar
}

const base: PerturbationLossOptions = { gamma: 2, lambdaDirection: 0.1, direction: 'tanh', tanhK: 10 }

describe('perturbation loss', () => {
  const cases: [string, PerturbationLossOptions, boolean, boolean][] = [
    ['autofocus γ = 2 + tanh direction', base, false, false],
    ['γ = 1.5 + sign direction (no gradient from it)', { ...base, gamma: 1.5, direction: 'sign' }, false, false],
    ['with VAE reconstruction', base, true, false],
    ['with the Gaussian NLL', base, false, true],
    ['with the reference NLL', { ...base, uncertaintyReference: true }, true, true],
  ]
  it.each(cases)('%s: value and gradients equal a dense tfjs reimplementation', (_name, o, useRecon, useLogvar) => {
    const delta = randomTensor([3, G], 1, 0.5) as tf.Tensor2D
    const recon = useRecon ? (randomTensor([nCells, G], 2, 1) as tf.Tensor2D) : undefined
    const logvar = useLogvar ? (randomTensor([3, G], 3, 0.3) as tf.Tensor2D) : undefined
    const xs = [delta, ...(recon ? [recon] : []), ...(logvar ? [logvar] : [])]
    const split = (ins: tf.Tensor[]) => ({ d: ins[0] as tf.Tensor2D, r: recon ? (ins[1] as tf.Tensor2D) : undefined, l: logvar ? (ins[recon ? 2 : 1] as tf.Tensor2D) : undefined })
    const ours = tf.grads((...ins: tf.Tensor[]) => {
      const { d, r, l } = split(ins)
      return perturbationLoss({ delta: d, visits, expression: data.expression, controlMean: data.controlMean, recon: r, logvar: l }, o).loss
    })(xs)
    const ref = tf.grads((...ins: tf.Tensor[]) => {
      const { d, r, l } = split(ins)
      return referenceLoss(d, o, r, l)
    })(xs)
    const v1 = perturbationLoss({ delta, visits, expression: data.expression, controlMean: data.controlMean, recon, logvar }, o)
    const v2 = referenceLoss(delta, o, recon, logvar)
    expect(v1.loss.dataSync()[0]).toBeCloseTo(v2.dataSync()[0], 4)
    for (let i = 0; i < xs.length; i++) {
      const a = ours[i].dataSync()
      const b = ref[i].dataSync()
      const scale = Math.max(1e-6, ...Array.from(b, Math.abs))
      expect(maxAbsDiff(a, b) / scale, `input ${i}`).toBeLessThan(1e-4)
    }
    if (o.direction === 'sign') {
      // The reference direction term has no gradient: only autofocus moves Δ.
      const noDir = tf.grads((d: tf.Tensor) => perturbationLoss({ delta: d as tf.Tensor2D, visits, expression: data.expression, controlMean: data.controlMean }, { ...o, lambdaDirection: 0 }).loss)([delta])
      expect(maxAbsDiff(noDir[0].dataSync(), ours[0].dataSync())).toBe(0)
    }
  })

  it('reports the terms as means over visits', () => {
    const delta = tf.zeros([3, G]) as tf.Tensor2D
    const { loss, terms } = perturbationLoss({ delta, visits, expression: data.expression, controlMean: data.controlMean }, base)
    expect(loss.dataSync()[0]).toBeCloseTo(terms.autofocus + 0.1 * terms.direction, 5)
    expect(terms.nll).toBe(0)
    // Zero Δ and an exact copy as the control: autofocus 0 when a cell is paired with itself.
    const self = visits.map((v) => ({ ...v, controls: v.cells }))
    expect(perturbationLoss({ delta, visits: self, expression: data.expression, controlMean: data.controlMean }, base).terms.autofocus).toBe(0)
  })
})

describe('VAE losses', () => {
  it('KL matches the closed form', () => {
    const mu = tf.tensor2d([
      [0, 1],
      [2, 0],
    ])
    const lv = tf.tensor2d([
      [0, Math.log(2)],
      [0, 0],
    ])
    // per cell: −½ Σ (1 + lv − μ² − e^lv): cell 1: −½((1 − 1) + (1 + ln2 − 1 − 2)) = 1 − ln2/2; cell 2: −½(1 − 4 − 1) = 2
    const expected = (1 - Math.log(2) / 2 + 2) / 2
    expect(klDivergence(mu, lv).dataSync()[0]).toBeCloseTo(expected, 6)
    expect(Math.abs(klDivergence(tf.zeros([3, 4]) as tf.Tensor2D, tf.zeros([3, 4]) as tf.Tensor2D).dataSync()[0])).toBe(0)
  })

  it('reconstruction MSE covers the non-zero entries only', () => {
    const x = tf.tensor2d([
      [0, 2],
      [1, 0],
    ])
    const r = tf.tensor2d([
      [5, 1],
      [3, 9],
    ])
    // (1 − 2)² and (3 − 1)² over 2 non-zero entries
    expect(reconstructionLoss(r, x).dataSync()[0]).toBeCloseTo(2.5, 6)
  })
})
