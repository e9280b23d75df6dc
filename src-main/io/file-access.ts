import fs from 'node:fs'
import type { Readable } from 'node:stream'
import { AppError } from '../../src-shared/contract'

/**
 * The one way readers open input files. Every open, stat, folder listing and read error
 * (EACCES, EPERM, EISDIR, ENOENT, EIO…) becomes an AppError naming the file and the fix, and
 * every stream handed out has its 'error' event handled, so an unreadable file can never end
 * the process through an unhandled stream error.
 */

export interface FileErrorCodes {
  /** the file is there but cannot be read (permissions, a folder, an I/O error) */
  unreadable: string
  /** the file (or a folder on its path) does not exist */
  missing: string
}

export const DATASET_FILE: FileErrorCodes = { unreadable: 'dataset.unreadable', missing: 'dataset.not-found' }
export const KNOWLEDGE_FILE: FileErrorCodes = { unreadable: 'knowledge.unreadable', missing: 'knowledge.unreadable' }

const MISSING = new Set(['ENOENT', 'ENOTDIR'])

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined
}

/** True for errors of the file system (as opposed to parse or decompression errors). */
export function isFileSystemError(err: unknown): boolean {
  return errnoCode(err) !== undefined
}

function why(err: unknown): string {
  switch (errnoCode(err)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'it is a folder, not a file'
    case 'ENOENT':
      return 'it does not exist (or is a link to a file that does not)'
    case 'ENOTDIR':
      return 'a part of its path is not a folder'
    case 'EIO':
      return 'an input/output error (a failing disk, a disconnected drive or network share)'
    case 'ELOOP':
      return 'it is a loop of symbolic links'
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open'
    default: {
      const e = err as Error | null
      return e?.message ?? String(err)
    }
  }
}

/**
 * An open or read failure of `file` as a clear AppError: what failed, why, and what to do.
 * AppErrors pass through unchanged. `role` says what the file is for the user ('features file').
 */
export function readError(file: string, err: unknown, role = 'file', codes: FileErrorCodes = DATASET_FILE): AppError {
  if (err instanceof AppError) return err
  const code = errnoCode(err)
  return new AppError(code && MISSING.has(code) ? codes.missing : codes.unreadable, `Cannot read the ${role} ${file}: ${why(err)}. Check the file exists and that you may read it.`)
}

/** An error as node:fs reports it, for a condition found without a failing call (a folder where a file is expected). */
export function errnoError(code: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${file}`), { code })
}

/** `fs.statSync`, its errors as `readError`s. */
export function statForReading(file: string, role = 'file', codes: FileErrorCodes = DATASET_FILE): fs.Stats {
  try {
    return fs.statSync(file)
  } catch (err) {
    throw readError(file, err, role, codes)
  }
}

/** The names in a folder, its errors as `readError`s. */
export function listFolder(dir: string, role = 'folder', codes: FileErrorCodes = DATASET_FILE): string[] {
  try {
    return fs.readdirSync(dir)
  } catch (err) {
    throw readError(dir, err, role, codes)
  }
}

/** Opens a regular file for reading: a file descriptor, or a `readError` (a folder is refused here, not at the first read). */
export function openForReading(file: string, role = 'file', codes: FileErrorCodes = DATASET_FILE): number {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, 'r')
    if (fs.fstatSync(fd).isDirectory()) throw errnoError('EISDIR', file)
    return fd
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd)
    throw readError(file, err, role, codes)
  }
}

/** Up to `bytes` bytes from the start of an open file. */
export function readHeadOf(fd: number, bytes: number, file: string, role = 'file', codes: FileErrorCodes = DATASET_FILE): Buffer {
  try {
    const buf = Buffer.alloc(bytes)
    const n = fs.readSync(fd, buf, 0, bytes, 0)
    return buf.subarray(0, n)
  } catch (err) {
    throw readError(file, err, role, codes)
  }
}

/** Up to `bytes` bytes from the start of `file`. */
export function readHead(file: string, bytes: number, role = 'file', codes: FileErrorCodes = DATASET_FILE): Buffer {
  const fd = openForReading(file, role, codes)
  try {
    return readHeadOf(fd, bytes, file, role, codes)
  } finally {
    fs.closeSync(fd)
  }
}

/** A whole (small) file, its errors as `readError`s. */
export function readWhole(file: string, role = 'file', codes: FileErrorCodes = DATASET_FILE): Buffer {
  const fd = openForReading(file, role, codes)
  try {
    return fs.readFileSync(fd)
  } catch (err) {
    throw readError(file, err, role, codes)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * A byte stream over an already opened file (from `openForReading`; the stream closes it). Open
 * errors were thrown synchronously by `openForReading`; read errors reach the consumer as the
 * stream's 'error' (map them with `readError`). A listener is attached here so that an error after
 * the consumer stopped listening can never be an unhandled 'error' event.
 */
export function streamFrom(fd: number, options: { highWaterMark?: number } = {}): Readable {
  const stream = fs.createReadStream('', { fd, start: 0, autoClose: true, highWaterMark: options.highWaterMark ?? 1 << 16 })
  stream.on('error', ignoreLateError)
  return stream
}

/** Errors reach the consumer through its own listener or iterator; this one only prevents a crash. */
export function ignoreLateError(): void {}
