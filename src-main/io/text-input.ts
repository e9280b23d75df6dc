import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import { AppError } from '../../src-shared/contract'
import { errnoError, ignoreLateError, isFileSystemError, openForReading, readError, readHead, readHeadOf, statForReading, streamFrom } from './file-access'

/** Text inputs (mtx, tsv, csv), gzip-compressed or not: decided by the gzip magic bytes, not the name. */

const isGzipHead = (head: Buffer) => head.length === 2 && head[0] === 0x1f && head[1] === 0x8b

export function isGzipFile(file: string, role = 'file'): boolean {
  return isGzipHead(readHead(file, 2, role))
}

/** Fails with `dataset.not-found` / `dataset.unreadable` / `dataset.empty` before any parsing starts. */
export function checkTextFile(file: string, role: string): void {
  const stat = statForReading(file, role)
  if (stat.isDirectory()) throw readError(file, errnoError('EISDIR', file), role)
  if (!stat.isFile()) throw new AppError('dataset.unreadable', `The ${role} ${file} is not a regular file. Choose the file itself.`)
  if (stat.size === 0) throw new AppError('dataset.empty', `The ${role} ${path.basename(file)} is empty (0 bytes). Copy or download it again.`)
}

/**
 * Decompressed byte stream of a file. Open errors are thrown here, as `readError`s; read and gzip
 * errors reach the consumer as the stream's 'error' (map them with `streamError`), and no stream
 * in between is left without an error listener.
 */
export function openBytes(file: string, role = 'file'): Readable {
  const fd = openForReading(file, role)
  let gz: boolean
  try {
    gz = isGzipHead(readHeadOf(fd, 2, file, role))
  } catch (err) {
    fs.closeSync(fd)
    throw err
  }
  const raw = streamFrom(fd, { highWaterMark: 1 << 20 })
  if (!gz) return raw
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 })
  // pipeline destroys both streams on any error (closing the file) and hands it to gunzip's consumer
  pipeline(raw, gunzip, ignoreLateError)
  return gunzip
}

/** Turns a stream failure (unreadable file, bad gzip, truncated file) into a clear `dataset.unreadable`. */
export function streamError(err: unknown, file: string, role: string): AppError {
  if (err instanceof AppError) return err
  if (isFileSystemError(err)) return readError(file, err, role)
  const e = err as NodeJS.ErrnoException
  const why = e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e?.message ?? '') ? 'the gzip data ends early (truncated file)' : (e?.message ?? String(err))
  return new AppError('dataset.unreadable', `The ${role} ${path.basename(file)} could not be read: ${why}. Copy or download it again.`)
}

export interface Utf8Check {
  /** what the file's text holds, for the warning: 'gene names', 'barcodes', 'cell metadata' */
  field: string
  /** where the warning goes (the import's warnings, shown to the user) */
  warnings: string[]
}

/** The warning for a file whose bytes are not valid UTF-8 (decoded as today, with U+FFFD). */
export function invalidUtf8Warning(file: string, field: string): string {
  return `${path.basename(file)} is not valid UTF-8: some bytes of its ${field} were replaced by '\uFFFD', so those names differ from the file's. Save the file as UTF-8 and import it again to keep them exactly.`
}

/**
 * Lines of a (possibly gzipped) text file, without line endings. With `utf8`, the bytes are also
 * checked with a fatal UTF-8 decoder and one warning is added when they are not valid UTF-8.
 */
export async function* readLines(file: string, role: string, utf8?: Utf8Check): AsyncGenerator<string> {
  const input = openBytes(file, role)
  if (utf8) {
    const fatal = new TextDecoder('utf-8', { fatal: true })
    let valid = true
    input.on('data', (chunk: Buffer) => {
      if (!valid) return
      try {
        fatal.decode(chunk, { stream: true })
      } catch {
        valid = false
        utf8.warnings.push(invalidUtf8Warning(file, utf8.field))
      }
    })
    input.on('end', () => {
      if (!valid) return
      try {
        fatal.decode()
      } catch {
        valid = false
        utf8.warnings.push(invalidUtf8Warning(file, utf8.field))
      }
    })
  }
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
