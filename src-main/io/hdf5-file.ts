import path from 'node:path'
import h5wasm, { Dataset, Group, type File as H5File } from 'h5wasm/node'
import { AppError } from '../../src-shared/contract'
import { errnoError, readError, readHead, statForReading } from './file-access'

export { Dataset, Group }
export type { H5File }

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
/** HDF5 allows a user block before the superblock; it always ends on one of these offsets. */
const SIGNATURE_OFFSETS = [0, 512, 1024, 2048, 4096]

export function hasHdf5Signature(head: Buffer): boolean {
  return SIGNATURE_OFFSETS.some((o) => head.length >= o + 8 && head.subarray(o, o + 8).equals(SIGNATURE))
}

/**
 * Checks that `file` is a complete HDF5 file before h5wasm sees it: h5wasm prints the HDF5 error
 * stack to stderr and throws an uninformative error on anything else, so every failure it would
 * hit on open (empty, text, truncated) gets a clear `dataset.*` error here instead.
 */
export function checkHdf5File(file: string): void {
  const name = path.basename(file)
  const stat = statForReading(file, '.h5ad file')
  if (stat.isDirectory()) throw readError(file, errnoError('EISDIR', file), '.h5ad file')
  const size = stat.size
  if (size === 0) throw new AppError('dataset.empty', `${name} is empty (0 bytes). Copy or download the file again.`)
  const head = readHead(file, 4096 + 64, '.h5ad file')
  const at = SIGNATURE_OFFSETS.find((o) => head.length >= o + 8 && head.subarray(o, o + 8).equals(SIGNATURE))
  if (at === undefined) {
    throw new AppError('dataset.unreadable', `${name} is not an HDF5 file (${describeContent(head)}), so it cannot be an AnnData .h5ad. Choose the file written by anndata's write_h5ad, or pick the matching format (10x folder, CSV table).`)
  }
  const eof = superblockEndOfFile(head, at)
  if (eof !== null && eof > size) {
    throw new AppError('dataset.unreadable', `${name} is truncated: its HDF5 header declares ${eof.toLocaleString('en-US')} bytes but the file has ${size.toLocaleString('en-US')}. Copy or download it again.`)
  }
}

/** Opens an HDF5 file read-only after `checkHdf5File`; errors become `dataset.unreadable`. */
export async function openHdf5(file: string): Promise<H5File> {
  checkHdf5File(file)
  await h5wasm.ready
  try {
    return new h5wasm.File(file, 'r')
  } catch (err) {
    throw new AppError('dataset.unreadable', `${path.basename(file)} could not be opened as HDF5 (${String((err as Error)?.message ?? err)}). The file may be damaged; copy or download it again.`)
  }
}

/** Creates (truncating) an HDF5 file for writing. */
export async function createHdf5(file: string): Promise<H5File> {
  await h5wasm.ready
  return new h5wasm.File(file, 'w')
}

/** A short human description of what a non-HDF5 file starts with. */
export function describeContent(head: Buffer): string {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'it is gzip-compressed'
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'PK\u0003\u0004') return 'it is a zip archive; unpack it first'
  const sample = head.subarray(0, 256)
  if (!sample.includes(0)) {
    const text = sample.toString('utf8').split(/\r?\n/)[0].slice(0, 40)
    return `it starts with the text "${text}"`
  }
  return 'it starts with unrecognised binary data'
}

/** End-of-file address from the superblock (versions 0–3), or null when it cannot be read. */
function superblockEndOfFile(head: Buffer, at: number): number | null {
  const version = head[at + 8]
  let sizeOffsets: number
  let baseAt: number
  if (version === 0 || version === 1) {
    sizeOffsets = head[at + 13]
    baseAt = at + (version === 0 ? 24 : 28)
  } else if (version === 2 || version === 3) {
    sizeOffsets = head[at + 9]
    baseAt = at + 12
  } else {
    return null
  }
  if (sizeOffsets !== 8 && sizeOffsets !== 4) return null
  const read = (pos: number): number | null => {
    if (pos + sizeOffsets > head.length) return null
    if (sizeOffsets === 4) {
      const v = head.readUInt32LE(pos)
      return v === 0xffffffff ? null : v
    }
    const v = head.readBigUInt64LE(pos)
    return v === 0xffffffffffffffffn ? null : Number(v)
  }
  const base = read(baseAt)
  const eof = read(baseAt + 2 * sizeOffsets)
  if (base === null || eof === null) return null
  return base + eof
}
