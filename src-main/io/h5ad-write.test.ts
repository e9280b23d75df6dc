import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import h5wasm from 'h5wasm/node'
import { afterEach, describe, expect, it } from 'vitest'
import { ANNDATA_SUMMARY, pythonWith } from '../test-support/python'
import { rejection, tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { readH5ad } from './h5ad-read'
import { writeH5ad, type H5adWriteInput } from './h5ad-write'
import type { CsrMatrix } from './raw-dataset'

const PAPALEXI = path.join(SHARED_DIR, 'datasets/papalexi2021/papalexi2021_counts.h5ad')

const files = tempFiles('ps-h5w-')
const { tmp } = files
const code = rejection
afterEach(() => files.cleanup())

function expectSameMatrix(a: CsrMatrix, b: CsrMatrix): void {
  expect([a.nRows, a.nCols]).toEqual([b.nRows, b.nCols])
  expect(Buffer.from(a.indptr.buffer, a.indptr.byteOffset, a.indptr.byteLength).equals(Buffer.from(b.indptr.buffer, b.indptr.byteOffset, b.indptr.byteLength))).toBe(true)
  expect(Buffer.from(a.indices.buffer, a.indices.byteOffset, a.indices.byteLength).equals(Buffer.from(b.indices.buffer, b.indices.byteOffset, b.indices.byteLength))).toBe(true)
  expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true)
}

/** A small GEARS-layout dataset: 4 cells × 3 genes with counts, annotations and nested uns. */
function small(): H5adWriteInput & { X: CsrMatrix } {
  const X: CsrMatrix = { nRows: 4, nCols: 3, indptr: Int32Array.from([0, 1, 3, 3, 4]), indices: Int32Array.from([2, 0, 1, 2]), data: Float32Array.from([0.5, 1.25, 2, 3]) }
  const counts: CsrMatrix = { ...X, data: Float32Array.from([1, 2, 4, 7]) }
  return {
    X,
    counts,
    cells: ['c1', 'c2', 'c3', 'c4'],
    genes: { id: ['ENSG00000115415', 'ENSG00000000003', 'ENSG00000000005'], symbol: ['STAT1', 'TSPAN6', 'TNMD'] },
    obs: {
      condition: { type: 'string', values: ['ctrl', 'STAT1+ctrl', 'ctrl', 'STAT1+TNMD'] },
      guide: { type: 'string', values: ['NT1', 'STAT1g1', 'NT2', null] },
      barcode_seq: { type: 'string', values: ['AAAC', 'AAAG', 'AACC', 'ΔGTT'] },
      dose: { type: 'number', values: Float64Array.from([0, 1, NaN, 2.5]) },
      is_control: { type: 'boolean', values: [true, false, true, false] },
    },
    uns: {
      top_non_dropout_de_20: { 'K562_STAT1+ctrl_1+1': ['ENSG00000115415', 'ENSG00000000005'] },
      non_zeros_gene_idx: { 'K562_STAT1+ctrl_1+1': [0, 2] },
    },
    unsOther: {
      synthetic: {
        seed: 7,
        preset: 'small',
        noise: 0.25,
        truth: { interaction: ['additive', 'synergy'], pair: [['STAT1', 'TNMD'], ['TSPAN6', 'TNMD']], effect: [Float32Array.from([0.5, -1, 0]), Float32Array.from([0, 2, 1])] },
        has_pairs: true,
      },
    },
  }
}

describe('writeH5ad', () => {
  it('round-trips the Papalexi dataset exactly, gzip-compressed', async () => {
    const d = await readH5ad(PAPALEXI)
    const out = tmp('papalexi.h5ad')
    await writeH5ad(out, d, { compression: 'gzip' })
    // X data and indices of 1.39 M values take 11 MB uncompressed
    expect(fs.statSync(out).size).toBeLessThan(6_000_000)
    const back = await readH5ad(out)
    expectSameMatrix(back.X, d.X)
    expect(back.cells).toEqual(d.cells)
    expect(back.genes).toEqual(d.genes)
    expect(back.obs).toEqual(d.obs)
    expect(back.warnings).toEqual([])
    expect(fs.readdirSync(path.dirname(out))).toEqual(['papalexi.h5ad'])
  })

  it('writes X from row blocks (empty blocks and empty rows included) as it writes the whole matrix', async () => {
    const input = small()
    const X = input.X
    const block = (from: number, to: number): CsrMatrix => ({
      nRows: to - from,
      nCols: X.nCols,
      indptr: Int32Array.from(X.indptr.subarray(from, to + 1), (p) => p - X.indptr[from]),
      indices: X.indices.slice(X.indptr[from], X.indptr[to]),
      data: X.data.slice(X.indptr[from], X.indptr[to]),
    })
    const out = tmp('blocks.h5ad')
    await writeH5ad(out, { ...input, X: { nRows: X.nRows, nCols: X.nCols, blocks: () => [block(0, 2), block(2, 2), block(2, 3), block(3, 4)] } })
    expectSameMatrix((await readH5ad(out)).X, X)
    // fewer rows than declared, or a block of another width, write nothing
    const short = tmp('short.h5ad')
    expect(await code(writeH5ad(short, { ...input, X: { nRows: X.nRows, nCols: X.nCols, blocks: () => [block(0, 3)] } }))).toMatchObject({ code: 'dataset.write-invalid', message: expect.stringMatching(/3 of its 4 rows/) })
    expect(await code(writeH5ad(short, { ...input, X: { nRows: X.nRows, nCols: X.nCols, blocks: () => [{ ...block(0, 4), nCols: 2 }] } }))).toMatchObject({ code: 'dataset.write-invalid' })
    expect(fs.existsSync(short)).toBe(false)
  })

  it('round-trips counts, every obs column type, GEARS uns and nested uns', async () => {
    const input = small()
    const out = tmp('small.h5ad')
    await writeH5ad(out, input)
    const back = await readH5ad(out)
    expectSameMatrix(back.X, input.X)
    expectSameMatrix(back.counts!, input.counts!)
    expect(back.genes).toEqual(input.genes)
    expect(back.obs.condition).toEqual(input.obs.condition)
    expect(back.obs.guide).toEqual(input.obs.guide)
    expect(back.obs.barcode_seq).toEqual(input.obs.barcode_seq)
    expect(Array.from(back.obs.dose.values as Float64Array)).toEqual([0, 1, NaN, 2.5])
    expect(back.obs.is_control).toEqual(input.obs.is_control)
    expect(back.uns).toEqual(input.uns)
    const syn = back.unsOther!.synthetic as Record<string, unknown>
    expect(syn.seed).toBe(7)
    expect(syn.preset).toBe('small')
    expect(syn.noise).toBe(0.25)
    expect(syn.has_pairs).toBe(true)
    const truth = syn.truth as Record<string, unknown>
    expect(truth.interaction).toEqual(['additive', 'synergy'])
    expect(truth.pair).toEqual([['STAT1', 'TNMD'], ['TSPAN6', 'TNMD']])
    expect((truth.effect as Float32Array[]).map((r) => Array.from(r))).toEqual([[0.5, -1, 0], [0, 2, 1]])
  })

  it('lays the file out as AnnData 0.8 does', async () => {
    const out = tmp('layout.h5ad')
    await writeH5ad(out, small())
    await h5wasm.ready
    const f = new h5wasm.File(out, 'r')
    try {
      const enc = (p: string) => (f.get(p) as unknown as { attrs: Record<string, { value: unknown }> }).attrs['encoding-type'].value
      expect(enc('/')).toBe('anndata')
      expect(enc('X')).toBe('csr_matrix')
      expect(Array.from((f.get('X') as unknown as { attrs: Record<string, { value: BigInt64Array }> }).attrs.shape.value, Number)).toEqual([4, 3])
      expect(enc('layers/counts')).toBe('csr_matrix')
      expect(enc('obs')).toBe('dataframe')
      expect(enc('obs/condition')).toBe('categorical')
      expect(enc('obs/barcode_seq')).toBe('string-array')
      expect(enc('obs/_index')).toBe('string-array')
      expect(enc('var/gene_name')).toBe('string-array')
      expect(enc('uns')).toBe('dict')
      expect(enc('uns/synthetic/seed')).toBe('numeric-scalar')
      expect(enc('uns/synthetic/preset')).toBe('string')
      for (const k of ['obsm', 'obsp', 'varm', 'varp']) expect(enc(k)).toBe('dict')
      // booleans as h5py stores numpy bools (anndata 0.8 refuses an integer `ordered`): an enum FALSE/TRUE over int8
      const boolEnum = { type: 8, size: 1, enum_type: { type: 0, members: { FALSE: 0, TRUE: 1 } } }
      const ordered = (f.get('obs/condition') as unknown as { attrs: Record<string, { metadata: unknown; value: unknown }> }).attrs.ordered
      expect(ordered.metadata).toMatchObject(boolEnum)
      expect(Number(ordered.value)).toBe(0)
      const isControl = f.get('obs/is_control') as unknown as { metadata: unknown; value: Int8Array }
      expect(isControl.metadata).toMatchObject(boolEnum)
      expect(Array.from(isControl.value)).toEqual([1, 0, 1, 0])
      expect((f.get('uns/synthetic/has_pairs') as unknown as { metadata: unknown }).metadata).toMatchObject(boolEnum)
    } finally {
      f.close()
    }
  })

  it('writes and reads a matrix larger than one block (4.5 M non-zeros)', async () => {
    const nRows = 3000
    const nCols = 5000
    const perRow = 1500
    const indptr = Int32Array.from({ length: nRows + 1 }, (_, r) => r * perRow)
    const indices = new Int32Array(nRows * perRow)
    const data = new Float32Array(nRows * perRow)
    for (let r = 0; r < nRows; r++) {
      for (let j = 0; j < perRow; j++) {
        indices[r * perRow + j] = (j * 3 + (r % 3)) % nCols
        data[r * perRow + j] = ((r * 31 + j * 17) % 23) + 1
      }
    }
    const X = { nRows, nCols, indptr, indices, data }
    const out = tmp('big.h5ad')
    await writeH5ad(out, { X, cells: Array.from({ length: nRows }, (_, i) => `cell${i}`), genes: { id: Array.from({ length: nCols }, (_, i) => `G${i}`), symbol: Array.from({ length: nCols }, (_, i) => `G${i}`) }, obs: {} })
    expectSameMatrix((await readH5ad(out)).X, X)
  })

  it('leaves nothing behind and keeps an existing file when writing fails', async () => {
    const input = small()
    const missingDir = path.join(tmp('none'), 'sub', 'x.h5ad')
    expect(await code(writeH5ad(missingDir, input))).toMatchObject({ code: 'dataset.write-failed' })

    const out = tmp('keep.h5ad')
    await writeH5ad(out, input)
    const before = fs.readFileSync(out)
    const ragged = { ...input, unsOther: { bad: [[1, 2], [3]] as unknown as number[] } }
    const err = await code(writeH5ad(out, ragged))
    expect(err).toMatchObject({ code: 'dataset.write-invalid', message: expect.stringMatching(/uns\/bad.*rectangular/) })
    expect(fs.readFileSync(out).equals(before)).toBe(true)
    expect(fs.readdirSync(path.dirname(out))).toEqual(['keep.h5ad'])

    const short = { ...input, obs: { condition: { type: 'string' as const, values: ['ctrl'] } } }
    expect(await code(writeH5ad(tmp('short.h5ad'), short))).toMatchObject({ code: 'dataset.write-invalid', message: expect.stringMatching(/obs column 'condition' has 1 values for 4 rows/) })
    expect(fs.existsSync(tmp('short.h5ad'))).toBe(false)
  })

  const h5py = pythonWith(['h5py'])
  if (!h5py.python) console.log(`skipping the h5py check of written files: ${h5py.missing}`)
  it.skipIf(!h5py.python)('writes a file h5py opens with the AnnData layout', async () => {
    const out = tmp('h5py.h5ad')
    await writeH5ad(out, small())
    const script = [
      'import h5py, sys, json',
      'f = h5py.File(sys.argv[1], "r")',
      'a = lambda p: (lambda v: v.decode() if isinstance(v, bytes) else str(v))(f[p].attrs["encoding-type"])',
      'print(json.dumps({"root": (lambda v: v.decode() if isinstance(v, bytes) else str(v))(f.attrs["encoding-type"]), "X": a("X"), "shape": [int(x) for x in f["X"].attrs["shape"]], "nnz": int(f["X/data"].shape[0]), "cond": a("obs/condition"), "cells": [c.decode() if isinstance(c, bytes) else c for c in f["obs/_index"][()]]}))',
    ].join('\n')
    const r = spawnSync(h5py.python!, ['-c', script, out], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ root: 'anndata', X: 'csr_matrix', shape: [4, 3], nnz: 4, cond: 'categorical', cells: ['c1', 'c2', 'c3', 'c4'] })
  })

  const anndata = pythonWith(['anndata'])
  if (!anndata.python) console.log(`skipping the anndata check of written files: ${anndata.missing}`)
  it.skipIf(!anndata.python)('writes files anndata reads (0.8 included): categoricals, strings, booleans and uns, plain and gzip', async () => {
    const n = 1500
    const wide: H5adWriteInput = {
      X: { nRows: n, nCols: 3, indptr: Int32Array.from({ length: n + 1 }, (_, i) => i), indices: Int32Array.from({ length: n }, (_, i) => i % 3), data: Float32Array.from({ length: n }, (_, i) => 1 + (i % 5)) },
      cells: Array.from({ length: n }, (_, i) => `cell${i}`),
      genes: { id: ['A', 'B', 'C'], symbol: ['A', 'B', 'C'] },
      obs: {
        condition: { type: 'string', values: Array.from({ length: n }, (_, i) => (i % 3 ? `G${i % 7}+ctrl` : 'ctrl')) },
        control: { type: 'boolean', values: Array.from({ length: n }, (_, i) => i % 3 === 0) },
        called: { type: 'boolean', values: Array.from({ length: n }, (_, i) => (i % 11 ? i % 2 === 0 : null)) },
      },
    }
    const run = (file: string) => {
      const r = spawnSync(anndata.python!, ['-c', ANNDATA_SUMMARY, file], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      return JSON.parse(r.stdout) as { shape: number[]; bools: Record<string, unknown> } & Record<string, unknown>
    }
    for (const compression of ['none', 'gzip'] as const) {
      const out = tmp(`anndata-${compression}.h5ad`)
      await writeH5ad(out, small(), { compression })
      const s = run(out)
      expect(s).toMatchObject({
        shape: [4, 3],
        nnz: 4,
        obs_names: ['c1', 'c2', 'c3'],
        obs: { condition: 'category', guide: 'category', barcode_seq: 'object', dose: 'float64', is_control: 'bool' },
        var: { gene_name: 'object' },
        layers: ['counts'],
        uns: ['non_zeros_gene_idx', 'synthetic', 'top_non_dropout_de_20'],
      })
      expect(s.bools).toEqual({ 'obs/condition@ordered': false, 'obs/guide@ordered': false, 'obs/is_control': [true, false, true, false], 'uns/synthetic/has_pairs': true })

      const big = tmp(`anndata-wide-${compression}.h5ad`)
      await writeH5ad(big, wide, { compression })
      const w = run(big)
      expect(w).toMatchObject({ shape: [n, 3], nnz: n, obs: { condition: 'category', control: 'bool', called: 'category' } })
      expect(w.bools['obs/control']).toEqual(wide.obs.control.values)
      expect(await readH5ad(big)).toMatchObject({ obs: { condition: wide.obs.condition, control: wide.obs.control } })
    }
  })
})

describe('readH5ad with names that were not UTF-8', () => {
  it('warns once per field, naming the file, when obs or var names hold U+FFFD (h5wasm replaces invalid bytes with it)', async () => {
    const out = tmp('replaced.h5ad')
    const input = small()
    await writeH5ad(out, { ...input, cells: ['c1', 'c\uFFFD2', 'c3', 'c\uFFFD4'], genes: { id: ['G1', 'G\uFFFD2', 'G3'], symbol: input.genes.symbol } })
    const utf8 = (await readH5ad(out)).warnings.filter((w) => /UTF-8/.test(w))
    expect(utf8).toHaveLength(2)
    expect(utf8[0]).toMatch(/replaced\.h5ad.*cell names/)
    expect(utf8[1]).toMatch(/replaced\.h5ad.*gene names/)
    const clean = tmp('clean.h5ad')
    await writeH5ad(clean, small())
    expect((await readH5ad(clean)).warnings.filter((w) => /UTF-8/.test(w))).toEqual([])
  })
})
