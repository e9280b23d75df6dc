import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream'
import zlib from 'node:zlib'
import { AppError } from '../../src-shared/contract'
import { ignoreLateError, isFileSystemError, KNOWLEDGE_FILE, openForReading, readError, readHeadOf, readWhole, statForReading, streamFrom } from './file-access'

/**
 * Line reading for the knowledge files (Reactome and NCBI): plain, gzipped (detected by the
 * magic bytes, not the name) or a one-file zip (Reactome ships the GMT as `.gmt.zip`).
 * Streams, so a full multi-species `gene2go.gz` (over 1 GB unpacked) never sits in memory.
 */

export type Compression = 'none' | 'gzip' | 'zip'

export interface LineReadResult {
  /** lines handed to the callback (empty lines included) */
  lines: number
  /** false when the last line has no terminating newline: the usual sign of a cut-off download */
  endsWithNewline: boolean
  compression: Compression
}

export interface LineReadOptions {
  signal?: AbortSignal
  /** bytes of the file read so far (compressed bytes for gz), for progress */
  onBytes?: (read: number, total: number) => void
}

const ROLE = 'knowledge file'

export function detectCompression(file: string): Compression {
  const fd = openForReading(file, ROLE, KNOWLEDGE_FILE)
  try {
    return compressionOf(readHeadOf(fd, 4, file, ROLE, KNOWLEDGE_FILE))
  } finally {
    fs.closeSync(fd)
  }
}

function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length === 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip'
  return 'none'
}

/**
 * Calls `onLine(line, lineNo)` for every line (1-based, `\r\n` tolerated). Throws
 * `knowledge.unreadable` / `knowledge.truncated` naming the file; `knowledge.cancelled` on abort.
 */
export async function forEachLine(file: string, onLine: (line: string, lineNo: number) => void, options: LineReadOptions = {}): Promise<LineReadResult> {
  const name = path.basename(file)
  const total = statForReading(file, ROLE, KNOWLEDGE_FILE).size
  const fd = openForReading(file, ROLE, KNOWLEDGE_FILE)
  let compression: Compression
  try {
    compression = compressionOf(readHeadOf(fd, 4, file, ROLE, KNOWLEDGE_FILE))
  } catch (err) {
    fs.closeSync(fd)
    throw err
  }

  let rest = ''
  let lineNo = 0
  const push = (text: string) => {
    const parts = (rest + text).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p, ++lineNo)
  }
  const finish = (): LineReadResult => {
    const endsWithNewline = rest.length === 0
    if (!endsWithNewline) onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++lineNo)
    return { lines: lineNo, endsWithNewline, compression }
  }

  if (compression === 'zip') {
    fs.closeSync(fd)
    const text = readSingleZipEntry(file).toString('utf8')
    push(text)
    options.onBytes?.(total, total)
    return finish()
  }

  const decoder = new TextDecoder('utf-8')
  const source = streamFrom(fd, { highWaterMark: 1 << 20 })
  let read = 0
  const count = (n: number) => {
    read += n
    options.onBytes?.(read, total)
  }
  let stream: NodeJS.ReadableStream = source
  if (compression === 'gzip') {
    const gunzip = zlib.createGunzip()
    // pipe() already listens to 'data', so a second listener only observes the compressed bytes.
    source.on('data', (chunk) => count(chunk.length))
    // pipeline destroys both streams on any error (closing the file) and hands it to gunzip's reader
    pipeline(source, gunzip, ignoreLateError)
    stream = gunzip
  }
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new AppError('knowledge.cancelled', 'The knowledge build was cancelled; the previous knowledge base is still in use.')
      if (compression === 'none') count((chunk as Buffer).length)
      push(decoder.decode(chunk as Buffer, { stream: true }))
    }
  } catch (err) {
    source.destroy()
    if (err instanceof AppError) throw err
    const e = err as NodeJS.ErrnoException
    if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) {
      throw new AppError('knowledge.truncated', `${name} ends abruptly (the gzip stream is cut off after ${lineNo} lines): the download is incomplete. Download ${name} again.`)
    }
    if (e.code === 'Z_DATA_ERROR') throw new AppError('knowledge.unreadable', `${name} is not a valid gzip file (${e.message}). Download it again, or unpack it and use the plain file.`)
    if (isFileSystemError(e)) throw readError(file, e, ROLE, KNOWLEDGE_FILE)
    throw new AppError('knowledge.unreadable', `Cannot read ${file}: ${e.message}.`)
  }
  push(decoder.decode())
  return finish()
}

/** The one file inside a zip archive (Reactome's `ReactomePathways.gmt.zip`), inflated. */
export function readSingleZipEntry(file: string): Buffer {
  const name = path.basename(file)
  const buf = readWhole(file, ROLE, KNOWLEDGE_FILE)
  const bad = (why: string) => new AppError('knowledge.unreadable', `${name} is not a zip archive this app can read (${why}). Unzip it and put the file it contains in the knowledge folder instead.`)
  // End-of-central-directory record: the last 22 bytes, plus up to 64 KiB of comment.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw bad('no central directory: the file may be truncated')
  const entries = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const files: { name: string; method: number; size: number; offset: number }[] = []
  for (let e = 0; e < entries; e++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw bad('damaged central directory')
    const method = buf.readUInt16LE(p + 10)
    const size = buf.readUInt32LE(p + 20)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const offset = buf.readUInt32LE(p + 42)
    const entryName = buf.toString('utf8', p + 46, p + 46 + nameLen)
    if (!entryName.endsWith('/') && !entryName.startsWith('__MACOSX/')) files.push({ name: entryName, method, size, offset })
    p += 46 + nameLen + extraLen + commentLen
  }
  if (files.length !== 1) throw bad(`it holds ${files.length} files, expected exactly one`)
  const f = files[0]
  if (buf.readUInt32LE(f.offset) !== 0x04034b50) throw bad('damaged local header')
  const start = f.offset + 30 + buf.readUInt16LE(f.offset + 26) + buf.readUInt16LE(f.offset + 28)
  const body = buf.subarray(start, start + f.size)
  if (body.length < f.size) throw new AppError('knowledge.truncated', `${name} is cut off: its entry ${f.name} needs ${f.size} bytes. Download it again.`)
  if (f.method === 0) return Buffer.from(body)
  if (f.method !== 8) throw bad(`compression method ${f.method}`)
  try {
    return zlib.inflateRawSync(body)
  } catch (err) {
    throw bad((err as Error).message)
  }
}
