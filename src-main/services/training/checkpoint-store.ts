import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import type { CheckpointRecord, RunsRepo } from '../../db/runs-repo'
import { removeEmptyDirs, writeFileAtomic } from '../../io/atomic-write'
import { PARAMS_FORMAT, PARAMS_VERSION, type ParamsArtifact, type ParamsManifestEntry } from '../../ml/serialize'

/** Checkpoints up to this size live in the database row; larger ones in a content-addressed file. */
export const INLINE_MAX_BYTES = 256 * 1024
/** Folder (relative to the data folder) of checkpoint files, named by sha256. */
export const CHECKPOINT_DIR = 'checkpoints'

const MAGIC = Buffer.from('PSCK1\n')

/** A checkpoint: the weights, and Adam's state where the trainer gave it (a resume continues it). */
export interface CheckpointPayload {
  params: ParamsArtifact
  optimizer?: ParamsArtifact
}

interface Header {
  params: ParamsArtifact['manifest']
  optimizer?: ParamsArtifact['manifest']
}

const bytesOf = (a: ParamsArtifact) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)

/** One buffer: magic, header length (u32 LE), header JSON (manifests), weights, optimizer state. Hashing it names the checkpoint. */
export function encodeCheckpoint(payload: CheckpointPayload): Buffer {
  const header: Header = { params: payload.params.manifest, ...(payload.optimizer ? { optimizer: payload.optimizer.manifest } : {}) }
  const json = Buffer.from(JSON.stringify(header))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.byteLength)
  return Buffer.concat([MAGIC, len, json, bytesOf(payload.params), ...(payload.optimizer ? [bytesOf(payload.optimizer)] : [])])
}

export function decodeCheckpoint(buf: Buffer, what: string): CheckpointPayload {
  if (buf.byteLength < MAGIC.byteLength + 4 || !buf.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
    throw new AppError('run.checkpoint-corrupt', `${what} is not a Perturb Studio checkpoint.`)
  }
  const len = buf.readUInt32LE(MAGIC.byteLength)
  let at = MAGIC.byteLength + 4
  if (at + len > buf.byteLength) throw new AppError('run.checkpoint-corrupt', `${what} is truncated.`)
  const header = JSON.parse(buf.subarray(at, at + len).toString('utf8')) as Header
  at += len
  const take = (manifest: ParamsArtifact['manifest']): ParamsArtifact => {
    if (at + manifest.byteLength > buf.byteLength) throw new AppError('run.checkpoint-corrupt', `${what} is truncated.`)
    // A copy, so the weights own an aligned buffer that can be transferred to the worker.
    const data = new Uint8Array(manifest.byteLength)
    data.set(buf.subarray(at, at + manifest.byteLength))
    at += manifest.byteLength
    return { manifest, data }
  }
  const params = take(header.params)
  return header.optimizer ? { params, optimizer: take(header.optimizer) } : { params }
}

/** Baselines' fitted vectors as a params artefact, so they are stored like any checkpoint. */
export function fittedToArtifact(fitted: Record<string, Float32Array>, meta: Record<string, unknown>): ParamsArtifact {
  const entries: ParamsManifestEntry[] = []
  let offset = 0
  for (const [name, v] of Object.entries(fitted)) {
    entries.push({ name, shape: [v.length], dtype: 'float32', offset, byteLength: v.byteLength, trainable: false })
    offset += v.byteLength
  }
  const data = new Uint8Array(offset)
  for (const e of entries) {
    const v = fitted[e.name]
    data.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), e.offset)
  }
  return { manifest: { format: PARAMS_FORMAT, version: PARAMS_VERSION, byteLength: offset, entries, meta }, data }
}

/** Writes and reads checkpoints: rows through the runs repository, large payloads as files under the data folder. */
export class CheckpointStore {
  constructor(
    private readonly home: string,
    private readonly repo: RunsRepo,
  ) {}

  /** Stores one epoch's weights; older checkpoints other than the best are dropped with their files. */
  save(runId: number, epoch: number, payload: CheckpointPayload, isBest: boolean): void {
    const bytes = encodeCheckpoint(payload)
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
    let filePath: string | null = null
    if (bytes.byteLength > INLINE_MAX_BYTES) {
      filePath = path.posix.join(CHECKPOINT_DIR, sha256.slice(0, 2), `${sha256}.bin`)
      const abs = path.join(this.home, filePath)
      if (!fs.existsSync(abs)) writeFileAtomic(abs, bytes)
    }
    let stale: string[]
    try {
      stale = this.repo.addCheckpoint({ runId, epoch, sha256, bytes: bytes.byteLength, blob: filePath ? null : bytes, filePath, isBest })
    } catch (err) {
      // No row refers to the file (the run was deleted meanwhile, or the database failed): it goes too.
      if (filePath) this.removeFiles(this.repo.unreferenced([filePath]))
      if (/FOREIGN KEY/i.test((err as Error).message) && !this.repo.get(runId)) {
        throw new AppError('run.deleted', `Run ${runId} was deleted while it trained (its dataset or project was deleted); its checkpoint was not kept.`)
      }
      throw err
    }
    this.removeFiles(stale)
  }

  load(cp: CheckpointRecord): CheckpointPayload {
    const what = `The checkpoint of run ${cp.runId}, epoch ${cp.epoch}`
    let buf: Buffer
    if (cp.blob) buf = cp.blob
    else {
      try {
        buf = fs.readFileSync(path.join(this.home, cp.filePath!))
      } catch (err) {
        // Checkpoint files live in the data folder; one gone missing was moved or deleted outside the app.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new AppError('run.checkpoint-missing', `${what} is missing from the data folder (${cp.filePath}). Train the run again, or delete it.`)
        }
        throw new AppError('run.checkpoint-missing', `${what} (${cp.filePath}) cannot be read: ${(err as Error).message}. Check that the data folder is readable.`)
      }
    }
    if (crypto.createHash('sha256').update(buf).digest('hex') !== cp.sha256) throw new AppError('run.checkpoint-corrupt', `${what} does not match its sha256; the file was changed or damaged.`)
    return decodeCheckpoint(buf, what)
  }

  /** Removes checkpoint files, and their `checkpoints/xx/` folders once empty. */
  removeFiles(files: string[]): void {
    for (const f of files) {
      const abs = path.join(this.home, f)
      fs.rmSync(abs, { force: true })
      removeEmptyDirs(path.dirname(abs), path.join(this.home, CHECKPOINT_DIR))
    }
  }

  /** Removes checkpoint files no row refers to (left by a deleted dataset or project); skips fresh ones. */
  sweep(minAgeMs = 60_000): number {
    const root = path.join(this.home, CHECKPOINT_DIR)
    if (!fs.existsSync(root)) return 0
    const candidates: string[] = []
    const now = Date.now()
    for (const sub of fs.readdirSync(root)) {
      const dir = path.join(root, sub)
      if (!fs.statSync(dir).isDirectory()) continue
      const files = fs.readdirSync(dir)
      // Empty subfolders left by older versions go too.
      if (!files.length) removeEmptyDirs(dir, root)
      for (const f of files) {
        if (now - fs.statSync(path.join(dir, f)).mtimeMs >= minAgeMs) candidates.push(path.posix.join(CHECKPOINT_DIR, sub, f))
      }
    }
    const gone = this.repo.unreferenced(candidates)
    this.removeFiles(gone)
    return gone.length
  }
}
