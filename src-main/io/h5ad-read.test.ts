import fs from 'node:fs'
import path from 'node:path'
import h5wasm, { type File as H5File } from 'h5wasm/node'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dense } from '../test-support/csr'
import { rejection, tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { readH5ad } from './h5ad-read'
import type { RawDataset } from './raw-dataset'

const PAPALEXI = path.join(SHARED_DIR, 'datasets/papalexi2021/papalexi2021_counts.h5ad')
const NORMAN = path.join(SHARED_DIR, 'fixtures/norman_subset_cpa.h5ad')

const files = tempFiles('ps-h5ad-')
const { tmp } = files
const code = rejection
afterEach(() => files.cleanup())

/** Builds an HDF5 file directly with h5wasm, the way another anndata version would lay it out. */
async function rawH5(file: string, build: (f: H5File) => void): Promise<string> {
  await h5wasm.ready
  const f = new h5wasm.File(file, 'w')
  try {
    build(f)
  } finally {
    f.close()
  }
  return file
}

function value(d: RawDataset, cell: string, symbol: string): number {
  const r = d.cells.indexOf(cell)
  const c = d.genes.symbol.indexOf(symbol)
  for (let k = d.X.indptr[r]; k < d.X.indptr[r + 1]; k++) if (d.X.indices[k] === c) return d.X.data[k]
  return 0
}

// The 3 × 4 matrix used by the hand-built files below.
const M = [
  [0, 1, 0, 2],
  [3, 0, 0, 0],
  [0, 0, 4, 5],
]

describe('readH5ad on the Papalexi file (anndata 0.8)', () => {
  let d: RawDataset
  beforeAll(async () => {
    d = await readH5ad(PAPALEXI)
  })

  it('reads all 20,729 cells × 299 genes with the counts of matrix.mtx', () => {
    expect(d.X.nRows).toBe(20729)
    expect(d.X.nCols).toBe(299)
    expect(d.cells).toHaveLength(20729)
    // nnz and total from the mtx header and `awk` over matrix.mtx.gz
    expect(d.X.data.length).toBe(1390126)
    expect(d.X.data.reduce((s, v) => s + v, 0)).toBe(4299765)
    // mtx lines "2 1 3", "3 1 3", "17 1 2": genes 2, 3, 17 of cell 1
    expect(value(d, 'cell1', 'ITGB1BP1')).toBe(3)
    expect(value(d, 'cell1', 'SERTAD1')).toBe(3)
    expect(value(d, 'cell1', 'PCBP3')).toBe(0)
  })

  it('decodes the categorical obs columns', () => {
    expect(Object.keys(d.obs)).toEqual(['condition', 'guide', 'target', 'replicate', 'cell_type'])
    const target = d.obs.target.values as string[]
    const condition = d.obs.condition.values as string[]
    expect(target.filter((t) => t === 'non-targeting')).toHaveLength(2386)
    expect(new Set(target).size).toBe(26)
    expect((d.obs.cell_type.values as string[]).every((v) => v === 'THP-1')).toBe(true)
    expect(target.every((t, i) => (t === 'non-targeting' ? condition[i] === 'ctrl' : condition[i] === `${t}+ctrl`))).toBe(true)
    expect(target[0]).toBe('STAT2') // cells.csv line 2: cell1,STAT2g2,STAT2
  })

  it('takes symbols from the var index and reports nothing unusual', () => {
    expect(d.genes.symbol.slice(0, 3)).toEqual(['PCBP3', 'ITGB1BP1', 'SERTAD1'])
    expect(d.genes.id).toEqual(d.genes.symbol)
    expect(d.counts).toBeUndefined()
    expect(d.warnings).toEqual([])
  })
})

describe('readH5ad on the Norman subset (newer anndata, symbols in feature_name)', () => {
  it('reads 50 × 50, symbols from the categorical feature_name, and the dense counts layer', async () => {
    const d = await readH5ad(NORMAN)
    expect([d.X.nRows, d.X.nCols]).toEqual([50, 50])
    expect(d.genes.id.every((g) => g.startsWith('ENSG'))).toBe(true)
    expect(d.genes.symbol.some((s) => s.startsWith('ENSG'))).toBe(false)
    expect(d.warnings.join()).toMatch(/feature_name/)
    expect(d.counts).toBeDefined()
    expect([d.counts!.nRows, d.counts!.nCols]).toEqual([50, 50])
    expect(d.counts!.data.every((v) => Number.isInteger(v) && v > 0)).toBe(true)
    // the `control` flag and the GEARS condition agree cell by cell
    const cond = d.obs.condition.values as string[]
    const control = d.obs.control.values as Float64Array
    expect(cond.every((c, i) => (c === 'ctrl') === (control[i] === 1))).toBe(true)
    expect(Object.keys(d.obs)).toEqual(expect.arrayContaining(['condition', 'condition_name', 'dose_val', 'control', 'split']))
  })
})

describe('readH5ad on other encodings', () => {
  it('reads the anndata 0.7 layout: h5sparse CSR, __categories codes, _index attribute, GEARS uns', async () => {
    const file = await rawH5(tmp('old.h5ad'), (f) => {
      const x = f.create_group('X')
      x.create_attribute('h5sparse_format', 'csr')
      x.create_attribute('h5sparse_shape', new BigInt64Array([3n, 4n]))
      x.create_dataset({ name: 'data', data: new Float64Array([1, 2, 3, 4, 5]) })
      x.create_dataset({ name: 'indices', data: new BigInt64Array([1n, 3n, 0n, 2n, 3n]) })
      x.create_dataset({ name: 'indptr', data: new BigInt64Array([0n, 2n, 3n, 5n]) })
      const obs = f.create_group('obs')
      obs.create_attribute('_index', 'cell_id')
      obs.create_attribute('column-order', ['cond', 'n_counts'], null, 'S')
      obs.create_dataset({ name: 'cell_id', data: ['a', 'b', 'c'], dtype: 'S' })
      obs.create_dataset({ name: 'cond', data: new Int8Array([1, -1, 0]) })
      obs.create_dataset({ name: 'n_counts', data: new Float32Array([3, 3, 9]) })
      obs.create_group('__categories').create_dataset({ name: 'cond', data: ['ctrl', 'STAT1+ctrl'], dtype: 'S' })
      const v = f.create_group('var')
      v.create_attribute('_index', 'index')
      v.create_dataset({ name: 'index', data: ['ENSG00000115415', 'ENSG00000000003', 'ENSG00000000005', 'ENSG00000000419'], dtype: 'S' })
      v.create_dataset({ name: 'gene_symbols', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
      const uns = f.create_group('uns')
      uns.create_group('top_non_dropout_de_20').create_dataset({ name: 'THP-1_STAT1+ctrl_1', data: ['ENSG00000115415', 'ENSG00000000419'], dtype: 'S' })
      uns.create_group('non_zeros_gene_idx').create_dataset({ name: 'THP-1_STAT1+ctrl_1', data: new BigInt64Array([0n, 3n]) })
      uns.create_dataset({ name: 'note', data: 'made by hand', dtype: 'S' })
    })
    const d = await readH5ad(file)
    expect(dense(d.X)).toEqual(M)
    expect(d.cells).toEqual(['a', 'b', 'c'])
    expect(d.obs.cond).toEqual({ type: 'string', values: ['STAT1+ctrl', null, 'ctrl'] })
    expect(Array.from(d.obs.n_counts.values as Float64Array)).toEqual([3, 3, 9])
    expect(d.genes.symbol).toEqual(['STAT1', 'TSPAN6', 'TNMD', 'DPM1'])
    expect(d.warnings.join()).toMatch(/gene_symbols.*Ensembl/)
    expect(d.uns).toEqual({ top_non_dropout_de_20: { 'THP-1_STAT1+ctrl_1': ['ENSG00000115415', 'ENSG00000000419'] }, non_zeros_gene_idx: { 'THP-1_STAT1+ctrl_1': [0, 3] } })
    expect(d.unsOther).toEqual({ note: 'made by hand' })
  })

  it('converts CSC X to CSR and reads nullable and string-array columns (anndata 0.10)', async () => {
    const file = await rawH5(tmp('csc.h5ad'), (f) => {
      const x = f.create_group('X')
      x.create_attribute('encoding-type', 'csc_matrix')
      x.create_attribute('shape', new BigInt64Array([3n, 4n]))
      x.create_dataset({ name: 'data', data: new Float32Array([3, 1, 4, 2, 5]) })
      x.create_dataset({ name: 'indices', data: new Int32Array([1, 0, 2, 0, 2]) })
      x.create_dataset({ name: 'indptr', data: new Int32Array([0, 1, 2, 3, 5]) })
      const obs = f.create_group('obs')
      obs.create_attribute('encoding-type', 'dataframe')
      obs.create_attribute('_index', 'barcode')
      obs.create_attribute('column-order', ['guide', 'umi', 'passed'], null, 'S')
      obs.create_dataset({ name: 'barcode', data: ['AAACCTGAGAAGGCCT-1', 'AAACCTGAGACAGACC-1', 'AAACCTGAGACTGGGT-1'], dtype: 'S' }).create_attribute('encoding-type', 'string-array')
      obs.create_dataset({ name: 'guide', data: ['g1', 'g2', 'g3'], dtype: 'S' }).create_attribute('encoding-type', 'string-array')
      const umi = obs.create_group('umi')
      umi.create_attribute('encoding-type', 'nullable-integer')
      umi.create_dataset({ name: 'values', data: new BigInt64Array([7n, 0n, 12n]) })
      umi.create_dataset({ name: 'mask', data: new Uint8Array([0, 1, 0]) })
      const passed = obs.create_group('passed')
      passed.create_attribute('encoding-type', 'nullable-boolean')
      passed.create_dataset({ name: 'values', data: new Uint8Array([1, 0, 0]) })
      passed.create_dataset({ name: 'mask', data: new Uint8Array([0, 0, 1]) })
      const v = f.create_group('var')
      v.create_attribute('_index', 'symbol')
      v.create_dataset({ name: 'symbol', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
    })
    const d = await readH5ad(file)
    expect(dense(d.X)).toEqual(M)
    expect(Array.from(d.X.indptr)).toEqual([0, 2, 3, 5])
    expect(d.cells[0]).toBe('AAACCTGAGAAGGCCT-1')
    expect(d.obs.guide.values).toEqual(['g1', 'g2', 'g3'])
    expect(Array.from(d.obs.umi.values as Float64Array)).toEqual([7, NaN, 12])
    expect(d.obs.passed).toEqual({ type: 'boolean', values: [true, false, null] })
  })

  it('reads a dense X, makes repeated cell names unique and sorts unsorted CSR rows', async () => {
    const denseFile = await rawH5(tmp('dense.h5ad'), (f) => {
      f.create_dataset({ name: 'X', data: new Float32Array(M.flat()), shape: [3, 4] })
      f.create_group('obs').create_dataset({ name: '_index', data: ['a', 'a', 'c'], dtype: 'S' })
      f.create_group('var').create_dataset({ name: '_index', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
    })
    const fromDense = await readH5ad(denseFile)
    expect(dense(fromDense.X)).toEqual(M)
    expect(fromDense.cells).toEqual(['a', 'a-1', 'c'])
    expect(fromDense.warnings.join()).toMatch(/1 repeated cell names/)

    const unsorted = await rawH5(tmp('unsorted.h5ad'), (f) => {
      const x = f.create_group('X')
      x.create_attribute('encoding-type', 'csr_matrix')
      x.create_attribute('shape', new BigInt64Array([3n, 4n]))
      x.create_dataset({ name: 'data', data: new Float32Array([2, 1, 3, 5, 4]) })
      x.create_dataset({ name: 'indices', data: new Int32Array([3, 1, 0, 3, 2]) })
      x.create_dataset({ name: 'indptr', data: new Int32Array([0, 2, 3, 5]) })
      f.create_group('obs').create_dataset({ name: '_index', data: ['a', 'b', 'c'], dtype: 'S' })
      f.create_group('var').create_dataset({ name: '_index', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
    })
    const d = await readH5ad(unsorted)
    expect(Array.from(d.X.indices)).toEqual([1, 3, 0, 2, 3])
    expect(dense(d.X)).toEqual(M)
  })

  it('reports progress up to 1 and stops when cancelled', async () => {
    const fractions: number[] = []
    await readH5ad(NORMAN, { onProgress: (f) => fractions.push(f) })
    expect(fractions.at(-1)).toBe(1)
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true)
    const ac = new AbortController()
    ac.abort()
    expect((await code(readH5ad(PAPALEXI, { signal: ac.signal }))).code).toBe('dataset.cancelled')
  })
})

describe('readH5ad on bad input', () => {
  it('reports decreasing CSR or CSC pointers as corrupt pointers naming the file and field, not as duplicates', async () => {
    for (const [kind, shape, ptr] of [
      ['csr_matrix', [3n, 4n], [0, 3, 2, 5]],
      ['csc_matrix', [3n, 4n], [0, 2, 1, 4, 5]],
    ] as const) {
      const file = await rawH5(tmp(`bad-${kind}.h5ad`), (f) => {
        const x = f.create_group('X')
        x.create_attribute('encoding-type', kind)
        x.create_attribute('shape', new BigInt64Array(shape))
        x.create_dataset({ name: 'data', data: new Float32Array([1, 2, 3, 4, 5]) })
        x.create_dataset({ name: 'indices', data: new Int32Array([0, 1, 2, 1, 2]) })
        x.create_dataset({ name: 'indptr', data: new Int32Array(ptr) })
        f.create_group('obs').create_dataset({ name: '_index', data: ['a', 'b', 'c'], dtype: 'S' })
        f.create_group('var').create_dataset({ name: '_index', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
      })
      const err = await code(readH5ad(file))
      expect(err.code).toBe('dataset.invalid-matrix')
      expect(err.message).toMatch(/pointers in X\/indptr are corrupt/)
      expect(err.message).toContain(`bad-${kind}.h5ad`)
      expect(err.message).not.toMatch(/twice/)
    }
  })

  it('refuses a text file renamed .h5ad, an empty file and a truncated file, naming the file', async () => {
    const text = tmp('table.h5ad')
    fs.writeFileSync(text, 'cell,STAT1\ncell1,3\n')
    const e1 = await code(readH5ad(text))
    expect(e1.code).toBe('dataset.unreadable')
    expect(e1.message).toMatch(/table\.h5ad is not an HDF5 file.*cell,STAT1/)

    const empty = tmp('empty.h5ad')
    fs.writeFileSync(empty, '')
    expect(await code(readH5ad(empty))).toMatchObject({ code: 'dataset.empty', message: expect.stringMatching(/empty\.h5ad is empty/) })

    const cut = tmp('cut.h5ad')
    fs.writeFileSync(cut, fs.readFileSync(PAPALEXI).subarray(0, 1_500_000))
    const e3 = await code(readH5ad(cut))
    expect(e3.code).toBe('dataset.unreadable')
    expect(e3.message).toMatch(/cut\.h5ad is truncated.*1,500,000/)
  })

  it('refuses an HDF5 file without X, and X that disagrees with obs', async () => {
    const noX = await rawH5(tmp('nox.h5ad'), (f) => {
      f.create_group('obs')
      f.create_group('var')
    })
    expect(await code(readH5ad(noX))).toMatchObject({ code: 'dataset.no-matrix', message: expect.stringMatching(/nox\.h5ad has no X/) })

    const mismatch = await rawH5(tmp('mismatch.h5ad'), (f) => {
      f.create_dataset({ name: 'X', data: new Float32Array(M.flat()), shape: [3, 4] })
      f.create_group('obs').create_dataset({ name: '_index', data: ['a', 'b'], dtype: 'S' })
      f.create_group('var').create_dataset({ name: '_index', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
    })
    expect(await code(readH5ad(mismatch))).toMatchObject({ code: 'dataset.dimension-mismatch', message: expect.stringMatching(/X is 3 × 4 but obs lists 2 cells/) })
  })

  it.each([
    ['NaN', NaN, /holds NaN at cell 'c' \(row 3\), gene 'DPM1'/],
    ['negative', -1, /negative value \(-1\) at cell 'c' \(row 3\), gene 'DPM1'/],
    ['infinite', Infinity, /infinite value at cell 'c' \(row 3\), gene 'DPM1'/],
  ])('names the first cell and gene holding a %s value', async (_, bad, message) => {
    const file = await rawH5(tmp(`bad.h5ad`), (f) => {
      const x = f.create_group('X')
      x.create_attribute('encoding-type', 'csr_matrix')
      x.create_attribute('shape', new BigInt64Array([3n, 4n]))
      x.create_dataset({ name: 'data', data: new Float32Array([1, 2, 3, 4, bad]) })
      x.create_dataset({ name: 'indices', data: new Int32Array([1, 3, 0, 2, 3]) })
      x.create_dataset({ name: 'indptr', data: new Int32Array([0, 2, 3, 5]) })
      f.create_group('obs').create_dataset({ name: '_index', data: ['a', 'b', 'c'], dtype: 'S' })
      f.create_group('var').create_dataset({ name: '_index', data: ['STAT1', 'TSPAN6', 'TNMD', 'DPM1'], dtype: 'S' })
    })
    expect(await code(readH5ad(file))).toMatchObject({ code: 'dataset.invalid-values', message: expect.stringMatching(message) })
  })
})
