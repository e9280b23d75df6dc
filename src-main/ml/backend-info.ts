/**
 * The BackendInfo of the backend the process already runs on (initBackend is the caller's job,
 * once per process; the trainer only needs to describe it in the run's result).
 */
import { createRequire } from 'node:module'
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { initBackend, type BackendInfo } from './backend'

const require = createRequire(import.meta.url)

export async function describeBackend(): Promise<BackendInfo> {
  const engine = tf.getBackend()
  // Re-selecting the current wasm/cpu backend is cheap (already initialised; kernel registration is idempotent).
  if (engine === 'wasm' || engine === 'cpu') return initBackend({ prefer: engine })
  // webgpu: the loader keeps what it found (the adapter); asking again returns it.
  if (engine === 'webgpu') return initBackend({ prefer: 'webgpu' })
  const gpu = Object.keys(require.cache).some((k) => k.includes('tfjs-node-gpu'))
  return {
    backend: gpu ? 'tfjs-node-gpu' : 'tfjs-node',
    engineBackend: engine,
    device: `${os.cpus()[0]?.model?.trim() ?? os.arch()} × ${os.cpus().length}`,
    versions: { tfjs: tf.version_core, backendPackage: null },
    customKernels: [],
    fallbacks: [],
  }
}

/** RSS and the wasm heap in MB (the heap is what runs out first: perf-notes trap 9). */
export function memoryNow(): { rssMb: number; wasmHeapMb?: number } {
  const rssMb = Math.round(process.memoryUsage().rss / 1048576)
  const heap = wasmHeapBytes()
  return heap === null ? { rssMb } : { rssMb, wasmHeapMb: Math.round(heap / 1048576) }
}

export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }
  return b.wasm?.HEAPU8?.buffer.byteLength ?? null
}
