/**
 * Losses (docs/ml-engine.md §5). The per-cell terms are one fused op: Δ depends only on the condition
 * (§3), so each cell's prediction is its paired control cell + Δ, and the loss loops over cells and
 * genes in plain JS from the CSR expression (no dense [cells, genes] tensors, no tfjs pow/tanh:
 * perf-notes trap 6 and "≈ 0.36 ms per cell" for the op-by-op version). Forward and gradient are
 * computed in one pass; the gradient flows to Δ, to the VAE's regenerated control cells and to the
 * log-variance head.
 *
 * Per visit p (a condition with its sampled cells, n_p cells, genes R_p = non_zeros_gene_idx, all
 * genes for ctrl):
 *   autofocus = Σ |pred − y|^(2+γ) / (n_p·|R_p|)
 *   direction = Σ (s(pred − c̄) − sign(y − c̄))² / (n_p·|R_p|), s = tanh(k·x) or sign (reference)
 *   nll       = Σ ½(e²·e^(−lv) + lv) / (n_p·|R_p|)  (Gaussian NLL; reference: e^(−lv)·|e|^(2+γ), no + lv)
 * total = mean over visits of autofocus + λ_dir·direction + nll.
 */
import * as tf from '@tensorflow/tfjs'
import type { CsrArrays } from './engine-types'
import { customOp } from './ops/custom-op'
import { addAll } from './ops/tensor-path'

export interface LossVisit {
  /** rows of the expression matrix: the visit's observed cells */
  cells: Int32Array
  /** paired control cells (same length) */
  controls: Int32Array
  /** genes the loss covers (R_p, ascending); null = every gene */
  genes: Int32Array | null
}

export interface PerturbationLossOptions {
  gamma: number
  lambdaDirection: number
  direction: 'tanh' | 'sign'
  tanhK: number
  /** the uncertainty head's NLL weight (GEARS' uncertainty_reg, 1) */
  uncertaintyWeight?: number
  /** the reference NLL: e^(−lv)·|e|^(2+γ), without the + log σ² term */
  uncertaintyReference?: boolean
  /** data-parallel training: the step's visits over every worker (the mean is over them; this worker's part of it is returned) */
  visitsTotal?: number
}

export interface LossTerms {
  autofocus: number
  direction: number
  nll: number
}

export interface PerturbationLossInput {
  /** [visits, genes] */
  delta: tf.Tensor2D
  visits: LossVisit[]
  expression: CsrArrays
  controlMean: Float32Array
  /** VAE-regenerated control cells [Σ n_p, genes], visits' cells in order; replaces the control cell where it is non-zero (§4) */
  recon?: tf.Tensor2D
  /** log-variance per visit and gene [visits, genes] (§3.7) */
  logvar?: tf.Tensor2D
}

/** The shapes both loss forms need, checked against each other: visits, genes and cells. */
function checkLossInput(input: PerturbationLossInput): { V: number; G: number; nCells: number } {
  const { delta, visits, expression: x } = input
  const [V, G] = delta.shape
  if (visits.length !== V) throw new Error(`loss: ${visits.length} visits for ${V} rows of Δ`)
  if (x.nCols !== G) throw new Error(`loss: Δ has ${G} genes, the expression ${x.nCols}`)
  const nCells = visits.reduce((s, v) => s + v.cells.length, 0)
  if (input.recon && (input.recon.shape[0] !== nCells || input.recon.shape[1] !== G)) throw new Error(`loss: recon must be [${nCells}, ${G}], got [${input.recon.shape.join(', ')}]`)
  return { V, G, nCells }
}

/** Mean observed-vs-predicted loss over visits; `terms` (unweighted means over visits) are filled by the forward pass. */
export function perturbationLoss(input: PerturbationLossInput, options: PerturbationLossOptions): { loss: tf.Scalar; terms: LossTerms } {
  const { delta, visits, expression: x, controlMean } = input
  const { V, G, nCells } = checkLossInput(input)
  const terms: LossTerms = { autofocus: 0, direction: 0, nll: 0 }
  const inputs: tf.Tensor[] = [delta]
  if (input.recon) inputs.push(input.recon)
  if (input.logvar) inputs.push(input.logvar)
  const hasRecon = !!input.recon
  const hasLogvar = !!input.logvar
  const f = customOp<tf.Scalar>((ins) => {
    const d = ins[0].dataSync() as Float32Array
    const recon = hasRecon ? (ins[1].dataSync() as Float32Array) : null
    const lv = hasLogvar ? (ins[hasRecon ? 2 : 1].dataSync() as Float32Array) : null
    const r = lossLoops(d, visits, x, controlMean, options, recon, lv, terms)
    return {
      value: tf.scalar(r.total),
      gradFunc: (dy) => {
        const s = dy.dataSync()[0]
        const scale = (a: Float32Array) => {
          if (s !== 1) for (let i = 0; i < a.length; i++) a[i] *= s
          return a
        }
        const out: tf.Tensor[] = [tf.tensor2d(scale(r.dDelta), [V, G])]
        if (r.dRecon) out.push(tf.tensor2d(scale(r.dRecon), [nCells, G]))
        if (r.dLogvar) out.push(tf.tensor2d(scale(r.dLogvar), [V, G]))
        return out
      },
    }
  })
  return { loss: f(...inputs), terms }
}

/** The loss terms as scalars on the device (the tensor formulation: read them with `await data()`). */
export interface LossTermTensors {
  autofocus: tf.Scalar
  direction: tf.Scalar
  nll: tf.Scalar
}

/**
 * `perturbationLoss` with tfjs ops only, for GPU backends (ops/tensor-path): the same sums, one visit
 * at a time (bounded memory: a visit is at most 1,024 cells), with the visit's observed and paired
 * control cells uploaded as dense [cells, genes] rows and the gradient from autodiff. Nothing is
 * read back: the terms come as scalars. tanh is tfjs' own (the JS loop's table differs by < 1e-6).
 */
export function perturbationLossOps(input: PerturbationLossInput, o: PerturbationLossOptions): { loss: tf.Scalar; terms: LossTermTensors } {
  const { delta, visits, expression: x, controlMean } = input
  const { V, G } = checkLossInput(input)
  const p = 2 + o.gamma
  const reg = o.uncertaintyWeight ?? 1
  return tf.tidy(() => {
    const cbar = tf.tensor1d(controlMean)
    const sums = { autofocus: [] as tf.Tensor[], direction: [] as tf.Tensor[], nll: [] as tf.Tensor[] }
    let row = 0
    for (let v = 0; v < V; v++) {
      const visit = visits[v]
      const n = visit.cells.length
      const nR = visit.genes ? visit.genes.length : G
      if (n === 0 || nR === 0) {
        row += n
        continue
      }
      // Each cell's weight 1 / (n·|R|·V) on the visit's genes R, 0 elsewhere.
      const weight = new Float32Array(G)
      const w = 1 / (n * nR * V)
      if (visit.genes) for (const g of visit.genes) weight[g] = w
      else weight.fill(w)
      const W = tf.tensor2d(weight, [1, G])
      const Y = csrRowsTensor(x, visit.cells)
      const C = csrRowsTensor(x, visit.controls)
      // The VAE's regenerated control cell replaces the paired one where that is non-zero (§4).
      const c = input.recon ? tf.mul(tf.slice(input.recon, [row, 0], [n, G]), tf.cast(tf.notEqual(C, 0), 'float32')) : C
      const pred = tf.add(c, tf.slice(delta, [v, 0], [1, G]))
      const e = tf.sub(pred, Y)
      const af = o.gamma === 2 ? tf.square(tf.square(e)) : tf.pow(tf.abs(e), p)
      const t = tf.sign(tf.sub(Y, cbar))
      const z = tf.sub(pred, cbar)
      const s = o.direction === 'tanh' ? tf.tanh(tf.mul(z, o.tanhK)) : tf.sign(z)
      sums.autofocus.push(tf.sum(tf.mul(af, W)))
      sums.direction.push(tf.sum(tf.mul(tf.square(tf.sub(s, t)), W)))
      if (input.logvar) {
        const lv = tf.slice(input.logvar, [v, 0], [1, G])
        const inv = tf.exp(tf.neg(lv))
        const nll = o.uncertaintyReference ? tf.mul(tf.mul(inv, af), reg) : tf.mul(tf.add(tf.mul(tf.square(e), inv), lv), 0.5 * reg)
        sums.nll.push(tf.sum(tf.mul(nll, W)))
      }
      row += n
    }
    const total = (list: tf.Tensor[]) => (list.length ? (addAll(list) as tf.Scalar) : tf.scalar(0))
    const terms = { autofocus: total(sums.autofocus), direction: total(sums.direction), nll: total(sums.nll) }
    const loss = tf.add(tf.add(terms.autofocus, tf.mul(terms.direction, o.lambdaDirection)), terms.nll) as tf.Scalar
    return { loss, terms }
  })
}

/**
 * Rows of a CSR matrix as a dense [rows, nCols] tensor, built on the device from the non-zeros
 * (scatterND): a sixth of the upload of the dense rows at Perturb-seq densities, and no dense fill
 * in JS (1,024 cells × 5,000 genes per visit).
 */
export function csrRowsTensor(x: CsrArrays, rows: Int32Array): tf.Tensor2D {
  const G = x.nCols
  let nnz = 0
  for (const r of rows) nnz += x.indptr[r + 1] - x.indptr[r]
  if (nnz === 0) return tf.zeros([rows.length, G])
  const at = new Int32Array(nnz)
  const values = new Float32Array(nnz)
  let k = 0
  rows.forEach((r, i) => {
    for (let e = x.indptr[r]; e < x.indptr[r + 1]; e++, k++) {
      at[k] = i * G + x.indices[e]
      values[k] = x.data[e]
    }
  })
  return tf.tidy(() => tf.reshape(tf.scatterND(tf.tensor2d(at, [nnz, 1], 'int32'), tf.tensor1d(values), [rows.length * G]), [rows.length, G]) as tf.Tensor2D)
}

interface LoopResult {
  total: number
  dDelta: Float32Array
  dRecon: Float32Array | null
  dLogvar: Float32Array | null
}

export function lossLoops(
  delta: Float32Array,
  visits: LossVisit[],
  x: CsrArrays,
  cbar: Float32Array,
  o: PerturbationLossOptions,
  recon: Float32Array | null,
  logvar: Float32Array | null,
  terms: LossTerms,
): LoopResult {
  const G = x.nCols
  const V = visits.length
  const VN = o.visitsTotal ?? V
  const dDelta = new Float32Array(V * G)
  const dRecon = recon ? new Float32Array(recon.length) : null
  const dLogvar = logvar ? new Float32Array(V * G) : null
  // Dense scratch rows, zero outside the current cell's non-zeros (reset entry by entry, not refilled).
  const ys = new Float32Array(G)
  const cs = new Float32Array(G)
  const all = Int32Array.from({ length: G }, (_, g) => g)
  const p = 2 + o.gamma
  const gamma2 = o.gamma === 2
  const k = o.tanhK
  const lam = o.lambdaDirection
  const useTanh = o.direction === 'tanh'
  const reg = o.uncertaintyWeight ?? 1
  const refNll = !!o.uncertaintyReference
  // The common case (γ = 2, no uncertainty head) runs in its own tight loop.
  const fast = gamma2 && !logvar
  const { indptr, indices, data } = x
  let total = 0
  let row = 0
  for (let v = 0; v < V; v++) {
    const visit = visits[v]
    const R = visit.genes ?? all
    const n = visit.cells.length
    const nR = R.length
    if (n === 0 || nR === 0) {
      row += n
      continue
    }
    const w = 1 / (n * nR * VN)
    const dOff = v * G
    // The visit's genes gathered once: every inner loop below runs over contiguous arrays.
    const dR = new Float64Array(nR)
    const cbR = new Float64Array(nR)
    const lvR = logvar ? new Float64Array(nR) : null
    for (let q = 0; q < nR; q++) {
      dR[q] = delta[dOff + R[q]]
      cbR[q] = cbar[R[q]]
      if (lvR) lvR[q] = logvar![dOff + R[q]]
    }
    const gR = new Float64Array(nR)
    const lR = logvar ? new Float64Array(nR) : null
    const yR = new Float64Array(nR)
    const cR = new Float64Array(nR)
    const nzR = recon ? new Uint8Array(nR) : null
    const gpR = new Float64Array(nR)
    const acc = new Float64Array(3)
    for (let i = 0; i < n; i++, row++) {
      const yRow = visit.cells[i]
      const cRow = visit.controls[i]
      for (let e = indptr[yRow]; e < indptr[yRow + 1]; e++) ys[indices[e]] = data[e]
      for (let e = indptr[cRow]; e < indptr[cRow + 1]; e++) cs[indices[e]] = data[e]
      const ro = row * G
      if (recon) {
        for (let q = 0; q < nR; q++) {
          const g = R[q]
          yR[q] = ys[g]
          const nz = cs[g] !== 0
          nzR![q] = nz ? 1 : 0
          cR[q] = nz ? recon[ro + g] : 0
        }
      } else {
        for (let q = 0; q < nR; q++) {
          const g = R[q]
          yR[q] = ys[g]
          cR[q] = cs[g]
        }
      }
      for (let e = indptr[yRow]; e < indptr[yRow + 1]; e++) ys[indices[e]] = 0
      for (let e = indptr[cRow]; e < indptr[cRow + 1]; e++) cs[indices[e]] = 0
      if (fast) {
        cellTermsFast(nR, cR, dR, yR, cbR, gR, gpR, k, lam, useTanh, acc)
      } else {
        for (let q = 0; q < nR; q++) {
          const pred = cR[q] + dR[q]
          const yq = yR[q]
          const e = pred - yq
          let gp: number
          let a4: number
          if (gamma2) {
            const e2 = e * e
            a4 = e2 * e2
            gp = 4 * e2 * e
          } else {
            const a = Math.abs(e)
            a4 = Math.pow(a, p)
            gp = a === 0 ? 0 : p * Math.pow(a, p - 1) * Math.sign(e)
          }
          acc[0] += a4
          const cb = cbR[q]
          const t = Math.sign(yq - cb)
          const z = pred - cb
          if (useTanh) {
            const s = tanhApprox(k * z)
            const diff = s - t
            acc[1] += diff * diff
            gp += lam * 2 * diff * k * (1 - s * s)
          } else {
            const d = Math.sign(z) - t
            acc[1] += d * d
          }
          if (lvR) {
            const l = lvR[q]
            const inv = Math.exp(-l)
            if (refNll) {
              acc[2] += reg * inv * a4
              gp += reg * inv * (gamma2 ? 4 * e * e * e : e === 0 ? 0 : p * Math.pow(Math.abs(e), p - 1) * Math.sign(e))
              lR![q] -= reg * inv * a4
            } else {
              acc[2] += reg * 0.5 * (e * e * inv + l)
              gp += reg * e * inv
              lR![q] += reg * 0.5 * (1 - e * e * inv)
            }
          }
          gR[q] += gp
          gpR[q] = gp
        }
      }
      if (nzR) for (let q = 0; q < nR; q++) if (nzR[q]) dRecon![ro + R[q]] = gpR[q] * w
    }
    for (let q = 0; q < nR; q++) {
      dDelta[dOff + R[q]] = gR[q] * w
      if (dLogvar) dLogvar[dOff + R[q]] = lR![q] * w
    }
    const scale = 1 / (n * nR)
    terms.autofocus += (acc[0] * scale) / VN
    terms.direction += (acc[1] * scale) / VN
    terms.nll += (acc[2] * scale) / VN
    total += (acc[0] + lam * acc[1] + acc[2]) * scale
  }
  return { total: total / VN, dDelta, dRecon, dLogvar }
}

/** γ = 2 without the NLL: adds autofocus and direction sums to acc[0], acc[1] and the per-gene gradients. */
function cellTermsFast(nR: number, cR: Float64Array, dR: Float64Array, yR: Float64Array, cbR: Float64Array, gR: Float64Array, gpR: Float64Array, k: number, lam: number, useTanh: boolean, acc: Float64Array): void {
  let af = 0
  let dir = 0
  const lam2k = 2 * lam * k
  for (let q = 0; q < nR; q++) {
    const pred = cR[q] + dR[q]
    const yq = yR[q]
    const e = pred - yq
    const e2 = e * e
    af += e2 * e2
    let gp = 4 * e2 * e
    const cb = cbR[q]
    const t = Math.sign(yq - cb)
    if (useTanh) {
      const s = tanhApprox(k * (pred - cb))
      const diff = s - t
      dir += diff * diff
      gp += lam2k * diff * (1 - s * s)
    } else {
      const d = Math.sign(pred - cb) - t
      dir += d * d
    }
    gR[q] += gp
    gpR[q] = gp
  }
  acc[0] += af
  acc[1] += dir
}

/**
 * tanh from a table with linear interpolation on [0, 9] (max error ~5e-7; 1 − tanh(9) < 3e-8):
 * Math.tanh costs ~20 ns in V8 and the direction term calls it for every cell and gene.
 */
const TANH_MAX = 9
const TANH_STEPS = 4096
const TANH_TABLE = Float64Array.from({ length: TANH_STEPS + 2 }, (_, i) => Math.tanh((i * TANH_MAX) / TANH_STEPS))
const TANH_SCALE = TANH_STEPS / TANH_MAX

export function tanhApprox(x: number): number {
  const a = x < 0 ? -x : x
  if (a >= TANH_MAX) return x < 0 ? -1 : 1
  const f = a * TANH_SCALE
  const i = f | 0
  const v = TANH_TABLE[i] + (TANH_TABLE[i + 1] - TANH_TABLE[i]) * (f - i)
  return x < 0 ? -v : v
}

/** KL(q(z|x) ‖ N(0, I)), summed over the latent and averaged over cells. */
export function klDivergence(mu: tf.Tensor2D, logvar: tf.Tensor2D, rowsTotal = mu.shape[0]): tf.Scalar {
  return tf.tidy(() => tf.mul(-0.5 / rowsTotal, tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar))))) as tf.Scalar)
}

/** MSE of the reconstruction over the control cells' non-zero entries (§4: zeros stay zero, so they are not fitted). */
export function reconstructionLoss(recon: tf.Tensor2D, x: tf.Tensor2D, nonZerosTotal?: number): tf.Scalar {
  return tf.tidy(() => {
    const mask = tf.cast(tf.notEqual(x, 0), 'float32')
    // The count stays on the device (no read: GPU backends); max(1, n) as before. Data-parallel
    // training gives the count over every worker's cells.
    const n = nonZerosTotal !== undefined ? tf.scalar(Math.max(1, nonZerosTotal)) : tf.maximum(tf.sum(mask), 1)
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(recon, x)), mask)), n) as tf.Scalar
  })
}
