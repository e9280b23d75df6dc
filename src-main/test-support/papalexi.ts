/**
 * Test support: the Papalexi 2021 screen from ../shared as a RawDataset, read from its 10x layout
 * with a deliberately tiny parser (independent of src-main/io), plus its cells.csv columns.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { RawDataset } from '../io/raw-dataset'
import { SHARED_DIR } from './temp-home'

export const PAPALEXI_DIR = path.join(SHARED_DIR, 'datasets', 'papalexi2021')

const gunzipLines = (file: string) => zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n').filter((l) => l !== '')

export interface PapalexiTenX {
  raw: RawDataset
  target: string[]
  guide: string[]
}

export function loadPapalexiTenX(): PapalexiTenX {
  const features = gunzipLines(path.join(PAPALEXI_DIR, 'features.tsv.gz')).map((l) => l.split('\t'))
  const barcodes = gunzipLines(path.join(PAPALEXI_DIR, 'barcodes.tsv.gz'))
  const lines = gunzipLines(path.join(PAPALEXI_DIR, 'matrix.mtx.gz')).filter((l) => !l.startsWith('%'))
  const [nGenes, nCells, nnz] = lines[0].split(/\s+/).map(Number)
  // genes × cells triplets → cells × genes CSR, columns sorted per row
  const cell = new Int32Array(nnz)
  const gene = new Int32Array(nnz)
  const value = new Float32Array(nnz)
  for (let i = 0; i < nnz; i++) {
    const [g, c, v] = lines[i + 1].split(' ')
    gene[i] = Number(g) - 1
    cell[i] = Number(c) - 1
    value[i] = Number(v)
  }
  const order = Int32Array.from({ length: nnz }, (_, i) => i).sort((a, b) => cell[a] - cell[b] || gene[a] - gene[b])
  const indptr = new Int32Array(nCells + 1)
  for (let i = 0; i < nnz; i++) indptr[cell[i] + 1]++
  for (let r = 0; r < nCells; r++) indptr[r + 1] += indptr[r]
  const raw: RawDataset = {
    source: { path: PAPALEXI_DIR, format: '10x' },
    X: { nRows: nCells, nCols: nGenes, indptr, indices: Int32Array.from(order, (i) => gene[i]), data: Float32Array.from(order, (i) => value[i]) },
    cells: barcodes,
    genes: { id: features.map((f) => f[0]), symbol: features.map((f) => f[1]) },
    obs: {},
    warnings: [],
  }
  const meta = new Map<string, string[]>()
  for (const l of fs.readFileSync(path.join(PAPALEXI_DIR, 'cells.csv'), 'utf8').split('\n').slice(1)) {
    if (l) meta.set(l.split(',')[0], l.split(','))
  }
  const target = barcodes.map((b) => meta.get(b)![2])
  const guide = barcodes.map((b) => meta.get(b)![1])
  raw.obs = { target: { type: 'string', values: target }, guide: { type: 'string', values: guide } }
  return { raw, target, guide }
}
