import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { AppError } from '../../src-shared/contract'
import { readHead } from './hdf5-file'

/** Text inputs (mtx, tsv, csv), gzip-compressed or not: decided by the gzip magic bytes, not the name. */

export function isGzipFile(file: string): boolean {
  const head = readHead(file, 2)
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b
}

/** Fails with `dataset.not-found` / `dataset.empty` before any parsing starts. */
export function checkTextFile(file: string, role: string): void {
  let size: number
  try {
    const stat = fs.statSync(file)
    if (!stat.isFile()) throw new AppError('dataset.not-found', `${role} ${file} is not a file.`)
    size = stat.size
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError('dataset.not-found', `Cannot open the ${role} ${file}: ${(err as Error).message}. Check the path.`)
  }
  if (size === 0) throw new AppError('dataset.empty', `The ${role} ${path.basename(file)} is empty (0 bytes). Copy or download it again.`)
}

/** Decompressed byte stream of a file. */
export function openBytes(file: string): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  if (!isGzipFile(file)) return raw
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 })
  raw.on('error', (err) => gunzip.destroy(err))
  return raw.pipe(gunzip)
}

/** Turns a stream failure (bad gzip, truncated file) into a clear `dataset.unreadable`. */
export function streamError(err: unknown, file: string, role: string): AppError {
  if (err instanceof AppError) return err
  const e = err as NodeJS.ErrnoException
  const why = e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e?.message ?? '') ? 'the gzip data ends early (truncated file)' : (e?.message ?? String(err))
  return new AppError('dataset.unreadable', `The ${role} ${path.basename(file)} could not be read: ${why}. Copy or download it again.`)
}

/** Lines of a (possibly gzipped) text file, without line endings. */
export async function* readLines(file: string, role: string): AsyncGenerator<string> {
  const input = openBytes(file)
  const lines = readline.createInterface({ input, crlfDelay: Infinity })
  // readline does not forward stream errors to the iterator; remember and rethrow them
  let failure: unknown = null
  input.on('error', (err) => {
    failure = err
    lines.close()
  })
  try {
    for await (const line of lines) {
      if (failure) break
      yield line
    }
    if (failure) throw failure
  } catch (err) {
    throw streamError(err, file, role)
  } finally {
    lines.close()
    input.destroy()
  }
}

/** The first `n` lines (stops reading early: cheap on big files). */
export async function headLines(file: string, n: number, role: string): Promise<string[]> {
  const out: string[] = []
  if (n <= 0) return out
  for await (const line of readLines(file, role)) {
    out.push(line)
    if (out.length >= n) break
  }
  return out
}
