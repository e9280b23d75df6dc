/**
 * `npm run bench -- attention [--backend wasm] [--genes 5045] [--nnz 300000] [--reps 5]
 *  [--dense-genes 1000,2000] [--seed 1]`
 *
 * Milliseconds per condition (forward + backward, training mode with dropout) of BioDSNN's encoder
 * layer (d_model 64, 2 heads, FF 512) on a random Reactome-like mask, with the fused sparse
 * attention at full size and, for scale, dense masked attention at smaller sizes. One JSON line per
 * figure. Wall time is noisy on a shared machine, so CPU time of this process is printed beside it.
 */
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { initBackend, isBackendName } from '../src-main/ml/backend'
import { encoderLayer, BIODSNN_ENCODER } from '../src-main/ml/layers/encoder'
import { trainingMode } from '../src-main/ml/layers/mode'
import { ParamStore } from '../src-main/ml/layers/param-store'
import { maskStats, randomPathwayMask, type AttentionMask } from '../src-main/ml/ops/attention-mask'
import { csrAttentionBackward, csrAttentionForward } from '../src-main/ml/ops/sparse-attention'
import { mulberry32, randomNormalArray } from '../src-main/ml/random'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

const backendArg = arg('backend', '')
const genes = Number(arg('genes', '5045'))
const nnzTarget = Number(arg('nnz', '300000'))
const reps = Number(arg('reps', '5'))
const denseGenes = arg('dense-genes', '1000,2000').split(',').filter(Boolean).map(Number)
const seed = Number(arg('seed', '1'))
const H = 64

function emit(figure: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'attention', figure, ...fields }))
}

interface Timing {
  ms: number
  msMin: number
  cpuMs: number
}

/** Median wall and CPU milliseconds of `reps` runs after one warm-up. */
function time(f: () => void, n: number): Timing {
  f()
  const wall: number[] = []
  const cpu: number[] = []
  for (let r = 0; r < n; r++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    f()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
  return { ms: Math.round(median(wall)), msMin: Math.round(Math.min(...wall)), cpuMs: Math.round(median(cpu)) }
}

function encoderStep(size: number, mask: AttentionMask, dense: boolean): () => void {
  const store = new ParamStore(seed)
  const x = tf.tensor2d(randomNormalArray(size * H, mulberry32(seed)), [size, H])
  const r = tf.tensor2d(randomNormalArray(size * H, mulberry32(seed + 1)), [size, H])
  const options = { ...BIODSNN_ENCODER, denseAttention: dense }
  // Create the weights outside the timed runs.
  tf.tidy(() => encoderLayer(store, 'enc', x, mask, trainingMode(0), options))
  let step = 0
  return () => {
    const mode = trainingMode(++step)
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(encoderLayer(store, 'enc', x, mask, mode, options), r)) as tf.Scalar, store.trainableVariables())
    // Reading the loss forces any asynchronous backend to finish the step.
    value.dataSync()
    tf.dispose([value, ...Object.values(grads)])
  }
}

const info = await initBackend({ prefer: backendArg && isBackendName(backendArg) ? backendArg : undefined })
emit('backend', { backend: info.backend, device: info.device, versions: info.versions, simd: info.simd, threads: info.threads, customKernels: info.customKernels, fallbacks: info.fallbacks, cpus: os.cpus().length, loadAvg1m: os.loadavg()[0] })

const mask = randomPathwayMask(genes, nnzTarget, mulberry32(seed))
emit('mask', { ...maskStats(mask) })

{
  const rand = mulberry32(seed + 2)
  const [q, k, v, dOut] = [0, 1, 2, 3].map(() => randomNormalArray(genes * H, rand))
  let fwd = csrAttentionForward(q, k, v, mask, 2, H)
  const tf_ = time(() => {
    fwd = csrAttentionForward(q, k, v, mask, 2, H)
  }, reps)
  const tb = time(() => csrAttentionBackward(q, k, v, fwd.probs, dOut, mask, 2, H), reps)
  emit('sparse_attention_loops_ms', { genes, nnz: mask.colIdx.length, forwardMs: tf_.ms, backwardMs: tb.ms, forwardCpuMs: tf_.cpuMs, backwardCpuMs: tb.cpuMs })
}

const sparse = time(encoderStep(genes, mask, false), reps)
emit('encoder_sparse_ms_per_condition', { genes, hidden: H, nnz: mask.colIdx.length, reps, ...sparse, backend: info.backend, loadAvg1m: os.loadavg()[0] })
const wasmHeapMb = () => (info.backend === 'wasm' ? Math.round((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20) : null)
// Before the dense runs, whose G² score matrices grow the heap (it never shrinks: perf-notes trap 9).
emit('peak_rss_mb_sparse', { value: Math.round(process.resourceUsage().maxRSS / 1024), wasmHeapMb: wasmHeapMb(), genes, backend: info.backend })

for (const g of denseGenes) {
  // Same density as the full mask, so the sparse/dense ratio at this size is comparable.
  const small = randomPathwayMask(g, Math.round((nnzTarget * g * g) / (genes * genes)), mulberry32(seed + g))
  const s = time(encoderStep(g, small, false), reps)
  const d = time(encoderStep(g, small, true), Math.max(1, Math.min(reps, 3)))
  emit('encoder_sparse_vs_dense_ms_per_condition', { genes: g, nnz: small.colIdx.length, sparseMs: s.ms, sparseCpuMs: s.cpuMs, denseMs: d.ms, denseCpuMs: d.cpuMs, backend: info.backend })
}

emit('peak_rss_mb', { value: Math.round(process.resourceUsage().maxRSS / 1024), wasmHeapMb: wasmHeapMb(), backend: info.backend })
