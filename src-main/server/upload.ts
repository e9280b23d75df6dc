import crypto from 'node:crypto'
import fs from 'node:fs'
import type { IncomingMessage } from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fail, ok, type Envelope } from '../../src-shared/contract'
import { atomicTarget } from '../io/atomic-write'

export interface UploadResult {
  /** Server-side path of the stored file: what `dataset:import` and friends take. */
  path: string
  /** Folder shared by files uploaded together (a 10x folder is several files). */
  batch: string
  bytes: number
}

/** Folder under the data folder where browser-mode uploads land. */
export function uploadsDir(home: string): string {
  return path.join(home, 'uploads')
}

/**
 * An error message without the server's upload folders: the browser's user picked "screen.h5ad",
 * not `<data folder>/uploads/0f3a…/screen.h5ad`. A file keeps its own name; an upload folder (a
 * 10x folder's files) reads "the uploaded files".
 */
export function hideUploadPaths(message: string, home: string): string {
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const root = escaped(uploadsDir(home))
  return message
    .replace(new RegExp(`${root}[\\\\/][a-f0-9]{16}[\\\\/]`, 'g'), '')
    .replace(new RegExp(`${root}[\\\\/][a-f0-9]{16}`, 'g'), 'the uploaded files')
    .replace(new RegExp(root, 'g'), 'the uploads folder')
}

/**
 * Stores one uploaded file (raw request body) as `uploads/<batch>/<name>`, streaming to disk.
 * A partial file is removed when the upload breaks off, so nothing half-written is left.
 */
export async function receiveUpload(req: IncomingMessage, home: string, params: URLSearchParams): Promise<Envelope<UploadResult>> {
  const rawName = params.get('name') ?? ''
  const name = path.basename(rawName).replace(/[^\w.\-+ ()]/g, '_')
  if (!name || name === '.' || name === '..') {
    return fail('upload.invalid-name', 'The upload needs a file name: POST /upload?name=<file name>.')
  }
  const batch = params.get('batch') ?? crypto.randomBytes(8).toString('hex')
  if (!/^[a-f0-9]{16}$/.test(batch)) {
    return fail('upload.invalid-batch', 'The batch id must be the 16-character id returned by an earlier upload.')
  }
  const dir = path.join(uploadsDir(home), batch)
  fs.mkdirSync(dir, { recursive: true })
  const target = path.join(dir, name)
  const out = atomicTarget(target)
  try {
    await pipeline(req, fs.createWriteStream(out.tmp))
    out.commit()
  } catch (err) {
    out.abort()
    return fail('upload.interrupted', `The upload of ${name} did not complete (${(err as Error).message}). Nothing was stored; try again.`)
  }
  return ok({ path: target, batch, bytes: fs.statSync(target).size })
}
