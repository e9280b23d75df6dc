/**
 * Losses (model.md §5). The per-cell terms are one fused op: Δ depends only on the condition
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

/** Mean observed-vs-predicted loss over visits; `terms` (unweighted means over visits) are filled by the forward pass. */
export function perturbationLoss(input: PerturbationLossInput, options: PerturbationLossOptions): { loss: tf.Scalar; terms: LossTerms } {
  const { delta, visits, expression: x, controlMean } = input
  const [V, G] = delta.shape
  if (visits.length !== V) throw new Error(`loss: ${visits.length} visits for ${V} rows of Δ`)
  if (x.nCols !== G) throw new Error(`loss: Δ has ${G} genes, the expression ${x.nCols}`)
  const nCells = visits.reduce((s, v) => s + v.cells.length, 0)
  if (input.recon && (input.recon.shape[0] !== nCells || input.recon.shape[1] !== G)) throw new Error(`loss: recon must be [${nCells}, ${G}], got [${input.recon.shape.join(', ')}]`)
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
  const dDelta = new Float32Array(V * G)
  const dRecon = recon ? new Float32Array(recon.length) : null
  const dLogvar = logvar ? new Float32Array(V * G) : null
  const y = new Float32Array(G)
  const c = new Float32Array(G)
  const cRaw = new Float32Array(G)
  const all = Int32Array.from({ length: G }, (_, g) => g)
  const p = 2 + o.gamma
  const gamma2 = o.gamma === 2
  const k = o.tanhK
  const lam = o.lambdaDirection
  const useTanh = o.direction === 'tanh'
  const reg = o.uncertaintyWeight ?? 1
  const refNll = !!o.uncertaintyReference
  // Per-visit sums in float64; per-gene gradient accumulators in float64 too (many cells add up).
  const gAcc = new Float64Array(G)
  const lAcc = logvar ? new Float64Array(G) : null
  let total = 0
  let row = 0
  for (let v = 0; v < V; v++) {
    const visit = visits[v]
    const R = visit.genes ?? all
    const n = visit.cells.length
    const nR = R.length
    if (n === 0 || nR === 0) continue
    const w = 1 / (n * nR * V)
    const dOff = v * G
    gAcc.fill(0)
    lAcc?.fill(0)
    let af = 0
    let dir = 0
    let nll = 0
    for (let i = 0; i < n; i++, row++) {
      dense(x, visit.cells[i], y)
      const ctl = visit.controls[i]
      const ro = row * G
      if (recon) {
        dense(x, ctl, cRaw)
        for (let g = 0; g < G; g++) c[g] = cRaw[g] !== 0 ? recon[ro + g] : 0
      } else dense(x, ctl, c)
      for (let q = 0; q < nR; q++) {
        const g = R[q]
        const pred = c[g] + delta[dOff + g]
        const e = pred - y[g]
        let gp: number
        if (gamma2) {
          const e2 = e * e
          af += e2 * e2
          gp = 4 * e2 * e
        } else {
          const a = Math.abs(e)
          af += Math.pow(a, p)
          gp = a === 0 ? 0 : p * Math.pow(a, p - 1) * Math.sign(e)
        }
        const z = pred - cbar[g]
        const yz = y[g] - cbar[g]
        const t = yz > 0 ? 1 : yz < 0 ? -1 : 0
        if (useTanh) {
          const s = Math.tanh(k * z)
          const diff = s - t
          dir += diff * diff
          gp += lam * 2 * diff * k * (1 - s * s)
        } else {
          const s = z > 0 ? 1 : z < 0 ? -1 : 0
          dir += (s - t) * (s - t)
        }
        if (logvar) {
          const l = logvar[dOff + g]
          const inv = Math.exp(-l)
          if (refNll) {
            const a = gamma2 ? e * e * e * e : Math.pow(Math.abs(e), p)
            nll += reg * inv * a
            gp += reg * inv * (gamma2 ? 4 * e * e * e : e === 0 ? 0 : p * Math.pow(Math.abs(e), p - 1) * Math.sign(e))
            lAcc![g] += -reg * inv * a
          } else {
            nll += reg * 0.5 * (e * e * inv + l)
            gp += reg * e * inv
            lAcc![g] += reg * 0.5 * (1 - e * e * inv)
          }
        }
        gAcc[g] += gp
        if (dRecon && cRaw[g] !== 0) dRecon[ro + g] = gp * w
      }
    }
    for (let q = 0; q < nR; q++) {
      const g = R[q]
      dDelta[dOff + g] = gAcc[g] * w
      if (dLogvar) dLogvar[dOff + g] = lAcc![g] * w
    }
    const scale = 1 / (n * nR)
    terms.autofocus += (af * scale) / V
    terms.direction += (dir * scale) / V
    terms.nll += (nll * scale) / V
    total += (af + lam * dir + nll) * scale
  }
  return { total: total / V, dDelta, dRecon, dLogvar }
}

function dense(x: CsrArrays, row: number, out: Float32Array): void {
  out.fill(0)
  for (let e = x.indptr[row]; e < x.indptr[row + 1]; e++) out[x.indices[e]] = x.data[e]
}

/** KL(q(z|x) ‖ N(0, I)), summed over the latent and averaged over cells. */
export function klDivergence(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mul(-0.5 / mu.shape[0], tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar))))) as tf.Scalar)
}

/** MSE of the reconstruction over the control cells' non-zero entries (§4: zeros stay zero, so they are not fitted). */
export function reconstructionLoss(recon: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mask = tf.cast(tf.notEqual(x, 0), 'float32')
    const n = Math.max(1, tf.sum(mask).dataSync()[0])
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(recon, x)), mask)), n) as tf.Scalar
  })
}
