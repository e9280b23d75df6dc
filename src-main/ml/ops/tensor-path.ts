/**
 * Which formulation the engine's ops take. On wasm and cpu the engine has typed-array kernels and JS
 * forward/backward loops (loss, norms, per-gene linear, sparse attention) that read their inputs
 * with `dataSync`: a few milliseconds there. On a GPU backend every such read is a download and a
 * pipeline stall per op, and on webgpu a synchronous read does not exist at all in Node (tfjs reads
 * synchronously through an OffscreenCanvas). There the engine uses tfjs ops only (`tensorOpsOnly()`),
 * and reads results with `await t.data()` once per step or batch.
 */
import * as tf from '@tensorflow/tfjs'

let forced: boolean | null = null
let nodeGpu = false

/** True on GPU backends (webgpu, tfjs-node-gpu), or when forced (tests run the tensor formulations on cpu). */
export function tensorOpsOnly(): boolean {
  if (forced !== null) return forced
  const engine = tf.getBackend()
  return engine === 'webgpu' || (engine === 'tensorflow' && nodeGpu)
}

/** Tests: force the tensor-op formulations on (true), off (false), or back to the backend's choice (null). */
export function forceTensorOps(value: boolean | null): void {
  forced = value
}

/** The backend loader says when the `tensorflow` engine is tfjs-node-gpu (its engine name is tfjs-node's). */
export function setNodeGpu(value: boolean): void {
  nodeGpu = value
}

/** A tensor's values as a Float32Array (a copy where the backend would hand out its own storage). */
export async function readFloats(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as Float32Array)
}

/**
 * Σ of same-shaped tensors as a tree of tf.addN over at most 4 at a time: webgpu binds every input
 * of AddN as a storage buffer, and a device allows only 8 per shader stage by default (an AddN of
 * 65 gradient norms failed validation on lavapipe).
 */
export function addAll(list: tf.Tensor[]): tf.Tensor {
  if (list.length === 0) throw new Error('addAll: nothing to add')
  return tf.tidy(() => {
    let level = list
    while (level.length > 1) {
      const next: tf.Tensor[] = []
      for (let i = 0; i < level.length; i += 4) next.push(level.length - i === 1 ? level[i] : tf.addN(level.slice(i, i + 4)))
      level = next
    }
    return level[0] === list[0] ? tf.clone(level[0]) : level[0]
  })
}
