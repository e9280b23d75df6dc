import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import type { CompoundDtype } from 'h5wasm/node'
import type { Dataset, Group } from './hdf5-file'

/**
 * Booleans stored as h5py stores numpy bools: an HDF5 enum {FALSE = 0, TRUE = 1} over int8.
 * anndata 0.8 needs exactly that for a categorical's `ordered` attribute (pandas refuses an int),
 * and reads such datasets back as bool arrays.
 *
 * h5wasm 0.10 cannot create enum types, so a boolean is written in two steps: first with a
 * placeholder type of the same encoded size and the same one byte per value (a compound of one
 * int8 member whose 11-character name makes its datatype encoding 33 bytes, as the enum's), and,
 * once the file is closed, the placeholder's datatype encoding is overwritten in place with the
 * enum's and the object header's checksum recomputed. Everything the rewrite relies on is checked
 * first (the header's signature, the stored checksum, the exact placeholder bytes), so a layout it
 * does not expect fails the write instead of producing a damaged file.
 */

/** 11 characters: the compound's encoding is then exactly as long as the enum's (see above). */
const MEMBER = 'ps_bool_tmp'
const PLACEHOLDER_DTYPE: CompoundDtype = [[MEMBER, '<b']]

const INT8 = [0x10, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00]
const ascii = (s: string) => [...Buffer.from(`${s}\0`, 'latin1')]
/** Compound, version 3, one member at offset 0 (1-byte offsets for a 1-byte compound), int8. */
const PLACEHOLDER = Buffer.from([0x36, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, ...ascii(MEMBER), 0x00, ...INT8])
/** Enum, version 3, two members over int8: names FALSE, TRUE (NUL-terminated, unpadded), values 0, 1. */
const BOOLEAN_ENUM = Buffer.from([0x38, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, ...INT8, ...ascii('FALSE'), ...ascii('TRUE'), 0x00, 0x01])
if (PLACEHOLDER.length !== BOOLEAN_ENUM.length) throw new Error('hdf5-boolean: placeholder and enum encodings differ in size')

const MSG_DATATYPE = 0x03
const MSG_ATTRIBUTE = 0x0c
const MSG_CONTINUATION = 0x10

interface Target {
  /** object header address (as an HDF5 object reference holds it) */
  address: bigint
  /** attribute name, or null for the dataset's own datatype */
  attribute: string | null
  where: string
}

/** Collects boolean attributes and datasets while a file is written; `apply` retypes them once it is closed. */
export class BooleanWriter {
  private readonly targets: Target[] = []

  attribute(obj: Group | Dataset, name: string, value: boolean): void {
    obj.create_attribute(name, new Map([[MEMBER, Int8Array.of(value ? 1 : 0)]]), [], PLACEHOLDER_DTYPE)
    this.targets.push({ address: addressOf(obj), attribute: name, where: `${obj.path}@${name}` })
  }

  dataset(g: Group, name: string, values: ArrayLike<boolean>, opts: { shape?: number[]; chunks?: number[]; compression?: number } = {}): Dataset {
    const data = Int8Array.from(values, (v) => (v ? 1 : 0))
    const ds = g.create_dataset({ name, data: new Map([[MEMBER, data]]), dtype: PLACEHOLDER_DTYPE, ...opts })
    this.targets.push({ address: addressOf(ds), attribute: null, where: ds.path })
    return ds
  }

  /** Rewrites every placeholder of the closed `file` as the boolean enum. */
  apply(file: string): void {
    if (this.targets.length === 0) return
    const fd = fs.openSync(file, 'r+')
    try {
      const sb = readSuperblock(fd, file)
      for (const t of this.targets) retype(fd, sb, t, file)
    } finally {
      fs.closeSync(fd)
    }
  }
}

function addressOf(obj: Group | Dataset): bigint {
  // an HDF5 object reference (hobj_ref_t) is the object header's address
  const ref = Buffer.from(Array.from(obj.create_reference().ref_data))
  if (ref.length !== 8) throw new Error(`unexpected object reference size ${ref.length}`)
  return ref.readBigUInt64LE(0)
}

interface Superblock {
  base: number
  offsetSize: number
  lengthSize: number
}

function fail(file: string, why: string): Error {
  return new AppError('dataset.write-failed', `Could not store booleans in ${path.basename(file)} as anndata expects (${why}). Nothing was written.`)
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len)
  const n = fs.readSync(fd, buf, 0, len, pos)
  return buf.subarray(0, n)
}

function readSuperblock(fd: number, file: string): Superblock {
  const h = readAt(fd, 0, 48)
  if (h.length < 48 || h.readUInt32BE(0) !== 0x89484446) throw fail(file, 'no HDF5 signature at the start')
  const version = h[8]
  if (version === 2 || version === 3) return { offsetSize: h[9], lengthSize: h[10], base: Number(h.readBigUInt64LE(12)) }
  if (version === 0 || version === 1) return { offsetSize: h[13], lengthSize: h[14], base: Number(h.readBigUInt64LE(version === 0 ? 24 : 28)) }
  throw fail(file, `superblock version ${version}`)
}

function readUInt(buf: Buffer, at: number, size: number): number {
  if (size === 8) return Number(buf.readBigUInt64LE(at))
  return buf.readUIntLE(at, size)
}

/** One checksummed chunk of a version-2 object header: where its messages lie. */
interface Chunk {
  start: number
  bytes: Buffer
  messagesFrom: number
  messagesTo: number
}

function retype(fd: number, sb: Superblock, t: Target, file: string): void {
  const start = sb.base + Number(t.address)
  const prefix = readAt(fd, start, 40)
  if (prefix.toString('latin1', 0, 4) !== 'OHDR' || prefix[4] !== 2) throw fail(file, `${t.where}: not a version-2 object header`)
  const flags = prefix[5]
  let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0)
  const sizeBytes = 1 << (flags & 0x03)
  const size0 = readUInt(prefix, p, sizeBytes)
  p += sizeBytes
  const orderTracked = (flags & 0x04) !== 0
  const chunks: Chunk[] = [{ start, bytes: readAt(fd, start, p + size0 + 4), messagesFrom: p, messagesTo: p + size0 }]
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]
    verifyChecksum(chunk, t, file)
    for (const m of messages(chunk, orderTracked)) {
      if (m.type === MSG_CONTINUATION) {
        const at = sb.base + readUInt(chunk.bytes, m.data, sb.offsetSize)
        const len = readUInt(chunk.bytes, m.data + sb.offsetSize, sb.lengthSize)
        const bytes = readAt(fd, at, len)
        if (bytes.toString('latin1', 0, 4) !== 'OCHK') throw fail(file, `${t.where}: broken continuation chunk`)
        chunks.push({ start: at, bytes, messagesFrom: 4, messagesTo: len - 4 })
        continue
      }
      const dt = datatypeOf(chunk.bytes, m, t)
      if (dt === null) continue
      if (m.flags & 0x02) throw fail(file, `${t.where}: shared datatype`)
      if (!chunk.bytes.subarray(dt, dt + PLACEHOLDER.length).equals(PLACEHOLDER)) throw fail(file, `${t.where}: unexpected placeholder encoding`)
      BOOLEAN_ENUM.copy(chunk.bytes, dt)
      const end = chunk.bytes.length - 4
      chunk.bytes.writeUInt32LE(lookup3(chunk.bytes.subarray(0, end)), end)
      fs.writeSync(fd, chunk.bytes, 0, chunk.bytes.length, chunk.start)
      return
    }
  }
  throw fail(file, `${t.where}: placeholder not found`)
}

interface Message {
  type: number
  flags: number
  data: number
  size: number
}

function* messages(chunk: Chunk, orderTracked: boolean): Generator<Message> {
  const head = orderTracked ? 6 : 4
  let p = chunk.messagesFrom
  while (p + head <= chunk.messagesTo) {
    const type = chunk.bytes[p]
    const size = chunk.bytes.readUInt16LE(p + 1)
    const flags = chunk.bytes[p + 3]
    yield { type, flags, data: p + head, size }
    p += head + size
  }
}

/** Position of the datatype encoding inside message `m` when it is the one `t` names, else null. */
function datatypeOf(bytes: Buffer, m: Message, t: Target): number | null {
  if (t.attribute === null) return m.type === MSG_DATATYPE ? m.data : null
  if (m.type !== MSG_ATTRIBUTE) return null
  const d = m.data
  const version = bytes[d]
  const nameSize = bytes.readUInt16LE(d + 2)
  const nameAt = version === 3 ? d + 9 : d + 8
  const name = bytes.toString('utf8', nameAt, nameAt + nameSize - 1)
  if (name !== t.attribute) return null
  if (version === 1) return nameAt + Math.ceil(nameSize / 8) * 8
  return nameAt + nameSize
}

function verifyChecksum(chunk: Chunk, t: Target, file: string): void {
  const end = chunk.bytes.length - 4
  if (end < chunk.messagesTo || chunk.bytes.readUInt32LE(end) !== lookup3(chunk.bytes.subarray(0, end))) throw fail(file, `${t.where}: object header checksum mismatch`)
}

/** Bob Jenkins' lookup3 `hashlittle`, HDF5's metadata checksum (H5_checksum_lookup3, initval 0). */
export function lookup3(key: Uint8Array, initval = 0): number {
  let length = key.length
  let a = (0xdeadbeef + length + initval) >>> 0
  let b = a
  let c = a
  const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0
  let k = 0
  while (length > 12) {
    a = (a + (key[k] | (key[k + 1] << 8) | (key[k + 2] << 16) | (key[k + 3] << 24))) >>> 0
    b = (b + (key[k + 4] | (key[k + 5] << 8) | (key[k + 6] << 16) | (key[k + 7] << 24))) >>> 0
    c = (c + (key[k + 8] | (key[k + 9] << 8) | (key[k + 10] << 16) | (key[k + 11] << 24))) >>> 0
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0
    length -= 12
    k += 12
  }
  if (length === 0) return c
  const at = (i: number, shift: number) => (i < length ? key[k + i] << shift : 0) >>> 0
  c = (c + (at(8, 0) | at(9, 8) | at(10, 16) | at(11, 24))) >>> 0
  b = (b + (at(4, 0) | at(5, 8) | at(6, 16) | at(7, 24))) >>> 0
  a = (a + (at(0, 0) | at(1, 8) | at(2, 16) | at(3, 24))) >>> 0
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0
  return c
}
