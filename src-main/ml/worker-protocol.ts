/**
 * Messages between the engine's worker threads (`worker.ts`: training, data-parallel peers,
 * prediction) and their owners: the handshake and error shape every role shares, and the training
 * role's messages. Plain data only (structured clone); typed arrays travel as transfers where the
 * sender gives them up.
 */
import type { BackendInfo, BackendName } from './backend'
import type { EpochReport, ResumeState, TrainConfig, TrainingData, TrainProgress, TrainResult } from './engine-types'
import type { PeerInit } from './parallel/protocol'
import type { PredictWorkerInit } from './predict-protocol'
import type { ParamsArtifact } from './serialize'

/** Given to the training worker at spawn (`workerData`). */
export interface WorkerInit {
  role: 'train'
  /** force a backend; without it initBackend tries them in order */
  prefer?: BackendName
}

/** Every role's spawn data (`workerData`): the one worker script runs the role it names. */
export type WorkerSpawn = WorkerInit | PeerInit | PredictWorkerInit

/** What every worker sends first (its backend, or why none loads), and its log lines. */
export type HandshakeMessage = { type: 'ready'; backend: BackendInfo } | { type: 'init-failed'; error: WireError } | { type: 'log'; message: string }

/** One training of a batch; jobs of a batch share the same data (baselines, then the model). */
export interface WorkerJob {
  runId: number
  config: TrainConfig
  resume?: ResumeState
}

export type HostMessage =
  | { type: 'train'; data: TrainingData; jobs: WorkerJob[] }
  /** finish the current step of this run, keep its best checkpoint, return what it has */
  | { type: 'stop'; runId: number }

/** The one error shape every worker sends: an AppError's code (a dotted name) and its message. */
export interface WireError {
  code: string
  message: string
}

/** `err` as a WireError; an error without a dotted code (a bug, a native failure) gets `fallbackCode`. */
export function toWire(err: unknown, fallbackCode: string): WireError {
  const e = err as { code?: unknown; message?: unknown }
  return { code: typeof e?.code === 'string' && e.code.includes('.') ? e.code : fallbackCode, message: typeof e?.message === 'string' ? e.message : String(err) }
}

export type WorkerMessage =
  | { type: 'started'; runId: number }
  | { type: 'progress'; runId: number; progress: TrainProgress }
  /** `optimizer`: Adam's state after the epoch, saved with the checkpoint so a resume continues it */
  | { type: 'epoch'; runId: number; report: EpochReport; params?: ParamsArtifact; optimizer?: ParamsArtifact; isBest: boolean }
  /** `stopped`: the run ended because the host asked it to */
  | { type: 'result'; runId: number; result: TrainResult; stopped: boolean }
  | { type: 'failed'; runId: number; error: WireError; stopped: boolean }
  /** every job of the batch has ended */
  | { type: 'done' }

/** The buffers of typed arrays found in `value` (for postMessage's transfer list), skipping those in `keep`. */
export function transferables(value: unknown, keep: ReadonlySet<ArrayBufferLike> = new Set()): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>()
  const seen = new Set<object>()
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return
    seen.add(v)
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer
      // Node pools small Buffers in one shared slab: transferring it would detach unrelated data.
      if (b instanceof ArrayBuffer && !keep.has(b) && !(Buffer.isBuffer(v) && b.byteLength !== v.byteLength)) found.add(b)
      return
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x)
  }
  walk(value)
  return [...found]
}

/** The buffers reachable from `value`, to pass as `keep` (arrays another owner still uses). */
export function buffersOf(value: unknown): Set<ArrayBufferLike> {
  return new Set(transferables(value))
}

/** Below this, copying through postMessage costs nothing worth avoiding. */
const SHARE_MIN_BYTES = 1 << 20

/**
 * Replaces, in place, the large typed arrays of `value` whose buffers are in `keep` (arrays another
 * owner still uses, so they cannot be transferred) by copies in SharedArrayBuffers. postMessage
 * then passes them without serialising: for a norman-like screen the expression matrix (~530 MB)
 * took ~3 s of structured clone on the sending thread and a second transient copy; a memcpy into
 * shared memory takes a fraction of that and the worker reads the same pages.
 */
export function shareKept<T>(value: T, keep: ReadonlySet<ArrayBufferLike>): T {
  const seen = new Set<object>()
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) return
    seen.add(v)
    const obj = v as Record<string, unknown>
    for (const key of Object.keys(obj)) {
      const x = obj[key]
      if (isTypedArray(x) && x.byteLength >= SHARE_MIN_BYTES && keep.has(x.buffer)) {
        const Ctor = x.constructor as new (b: SharedArrayBuffer) => TypedArray
        const copy = new Ctor(new SharedArrayBuffer(x.byteLength))
        copy.set(x as never)
        obj[key] = copy
      } else walk(x)
    }
  }
  walk(value)
  return value
}

type TypedArray = Int32Array | Float32Array | Float64Array | Uint8Array | Uint32Array | Int16Array | Uint16Array | Int8Array

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView)
}
