/**
 * Reads back a PNG the app wrote (8-bit RGB or RGBA, not interlaced: what resvg produces), to
 * check an export: signature, the size its IHDR states, and that it is not blank.
 */
import zlib from 'node:zlib'

export interface DecodedPng {
  width: number
  height: number
  /** RGBA, row-major */
  pixels: Uint8Array
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  if (!SIGNATURE.every((v, i) => b[i] === v)) throw new Error('not a PNG (signature)')
  if (b.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG (IHDR is not the first chunk)')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

export function decodePng(png: Uint8Array): DecodedPng {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  const { width, height } = pngSize(b)
  const depth = b[24]
  const colour = b[25]
  if (depth !== 8 || (colour !== 6 && colour !== 2) || b[28] !== 0) throw new Error(`unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${b[28]})`)
  const channels = colour === 6 ? 4 : 3
  const idat: Buffer[] = []
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    if (type === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + len))
    if (type === 'IEND') break
    at += 12 + len
  }
  const raw = zlib.inflateSync(Buffer.concat(idat))
  const stride = width * channels
  if (raw.length !== (stride + 1) * height) throw new Error(`PNG data has ${raw.length} bytes for ${width}×${height}`)
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const row = out.subarray(y * stride, (y + 1) * stride)
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0
      const up = prev ? prev[i] : 0
      const c = prev && i >= channels ? prev[i - channels] : 0
      let v = src[i]
      if (filter === 1) v += a
      else if (filter === 2) v += up
      else if (filter === 3) v += (a + up) >> 1
      else if (filter === 4) {
        const p = a + up - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - up)
        const pc = Math.abs(p - c)
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`)
      row[i] = v & 0xff
    }
  }
  if (channels === 4) return { width, height, pixels: out }
  const rgba = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    rgba.set(out.subarray(p * 3, p * 3 + 3), p * 4)
    rgba[p * 4 + 3] = 255
  }
  return { width, height, pixels: rgba }
}

/** Variance of the grey level over all pixels, and the share that is not white: 0 and 0 for a blank image. */
export function pixelStats(img: DecodedPng): { variance: number; inked: number } {
  const n = img.width * img.height
  let sum = 0
  let sq = 0
  let inked = 0
  for (let p = 0; p < n; p++) {
    const o = p * 4
    const grey = (img.pixels[o] + img.pixels[o + 1] + img.pixels[o + 2]) / 3
    sum += grey
    sq += grey * grey
    if (grey < 250) inked++
  }
  const mean = sum / n
  return { variance: sq / n - mean * mean, inked: inked / n }
}
