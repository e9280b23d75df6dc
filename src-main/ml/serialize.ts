/**
 * Saves and loads every named weight of a ParamStore (BatchNorm running statistics included) as
 * one binary buffer plus a JSON manifest. The entries follow tfjs's WeightsManifestEntry (name,
 * shape, dtype) with byte offsets added, so no tfjs-node `file://` handler is involved: callers
 * write `manifest` as JSON and `data` as a .bin file wherever the project keeps checkpoints.
 * Values are copied byte for byte (little-endian float32, as on every platform Node runs on).
 */
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../src-shared/contract/envelope'
import type { ParamStore } from './layers/param-store'
import { listSome } from '../../src-shared/domain/list-some'

export const PARAMS_FORMAT = 'perturb-studio.params'
export const PARAMS_VERSION = 1

export interface ParamsManifestEntry {
  name: string
  shape: number[]
  dtype: 'float32'
  offset: number
  byteLength: number
  trainable: boolean
}

export interface ParamsManifest {
  format: typeof PARAMS_FORMAT
  version: typeof PARAMS_VERSION
  byteLength: number
  entries: ParamsManifestEntry[]
  /** Free-form metadata stored with the weights (model kind, options, epoch…). */
  meta?: Record<string, unknown>
}

export interface ParamsArtifact {
  manifest: ParamsManifest
  data: Uint8Array
}

export async function saveParams(store: ParamStore, meta?: Record<string, unknown>): Promise<ParamsArtifact> {
  const list = store.list()
  const entries: ParamsManifestEntry[] = []
  let offset = 0
  for (const e of list) {
    if (e.variable.dtype !== 'float32') throw new Error(`parameter ${e.name} has dtype ${e.variable.dtype}; only float32 is saved`)
    const byteLength = e.variable.size * 4
    entries.push({ name: e.name, shape: [...e.variable.shape], dtype: 'float32', offset, byteLength, trainable: e.trainable })
    offset += byteLength
  }
  const data = new Uint8Array(offset)
  for (let i = 0; i < list.length; i++) {
    // Async read: with tfjs-node-gpu this waits for the device without blocking the worker.
    const values = (await list[i].variable.data()) as Float32Array
    data.set(new Uint8Array(values.buffer, values.byteOffset, entries[i].byteLength), entries[i].offset)
  }
  return { manifest: { format: PARAMS_FORMAT, version: PARAMS_VERSION, byteLength: offset, entries, ...(meta ? { meta } : {}) }, data }
}

export interface LoadParamsOptions {
  /** Accept store parameters that the artefact lacks (they keep their values). Default false. */
  allowMissing?: boolean
}

/**
 * Loads an artefact into `store`: existing parameters are overwritten (shapes must match), absent
 * ones are created. Everything is checked before anything is written, so a bad file changes nothing.
 */
export function loadParams(store: ParamStore, artifact: ParamsArtifact, options: LoadParamsOptions = {}): void {
  const { manifest, data } = artifact
  if (manifest?.format !== PARAMS_FORMAT) throw new AppError('model.weights-corrupt', `The weights manifest is not a ${PARAMS_FORMAT} manifest (format: ${String(manifest?.format)}).`)
  if (manifest.version !== PARAMS_VERSION) throw new AppError('model.weights-corrupt', `Weights format version ${manifest.version} is not supported (this build reads version ${PARAMS_VERSION}).`)
  if (data.byteLength !== manifest.byteLength) throw new AppError('model.weights-corrupt', `The weights file holds ${data.byteLength} bytes but its manifest describes ${manifest.byteLength}; the file is truncated or belongs to another checkpoint.`)
  const seen = new Set<string>()
  for (const e of manifest.entries) {
    const size = e.shape.reduce((a, d) => a * d, 1)
    if (seen.has(e.name)) throw new AppError('model.weights-corrupt', `The weights manifest lists ${e.name} twice.`)
    seen.add(e.name)
    if (e.dtype !== 'float32' || e.byteLength !== size * 4 || e.offset % 4 !== 0 || e.offset < 0 || e.offset + e.byteLength > data.byteLength) {
      throw new AppError('model.weights-corrupt', `Weight ${e.name} (shape [${e.shape.join(', ')}], ${e.byteLength} bytes at ${e.offset}) does not fit the weights file.`)
    }
    if (store.has(e.name)) {
      const shape = store.get(e.name).shape
      if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
        throw new AppError('model.weights-mismatch', `Weight ${e.name} has shape [${e.shape.join(', ')}] in the file but [${shape.join(', ')}] in the model; the checkpoint was saved with other model options.`)
      }
    }
  }
  const missing = store.list().filter((e) => !seen.has(e.name)).map((e) => e.name)
  if (missing.length > 0 && !options.allowMissing) {
    throw new AppError('model.weights-mismatch', `The checkpoint lacks ${missing.length} weight(s) of the model: ${listSome(missing, 5)}.`)
  }
  for (const e of manifest.entries) {
    // Copy out of `data` so the tensor never aliases the caller's buffer (or its alignment).
    const values = new Float32Array(e.byteLength / 4)
    new Uint8Array(values.buffer).set(data.subarray(e.offset, e.offset + e.byteLength))
    const tensor = tf.tensor(values, e.shape, 'float32')
    if (store.has(e.name)) {
      store.get(e.name).assign(tensor)
      tensor.dispose()
    } else {
      store.add(e.name, tensor, e.trainable)
    }
  }
}
