import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { SHARED_DIR, tempHome } from '../test-support/temp-home'
import { inferColumn, readCellMetadata } from './cell-metadata'
import { parseCsvLine, readCsvTable, sniffDelimiter } from './csv'

let home: ReturnType<typeof tempHome> | undefined
afterEach(() => {
  home?.cleanup()
  home = undefined
})
function write(name: string, content: string | Buffer): string {
  home ??= tempHome('ps-csv-')
  const p = path.join(home.dir, name)
  fs.writeFileSync(p, content)
  return p
}

describe('parseCsvLine', () => {
  it('splits plain and quoted fields', () => {
    expect(parseCsvLine('a,b,,c', ',')).toEqual(['a', 'b', '', 'c'])
    expect(parseCsvLine('"STAT1+ctrl","guide, 2","say ""hi""",3', ',')).toEqual(['STAT1+ctrl', 'guide, 2', 'say "hi"', '3'])
    expect(parseCsvLine('x\t"a\tb"\t1', '\t')).toEqual(['x', 'a\tb', '1'])
  })
})

describe('sniffDelimiter', () => {
  it('picks the delimiter that splits every line the same way', () => {
    expect(sniffDelimiter(['cell\tSTAT1\tIRF1', 'c1\t0\t3'])).toBe('\t')
    expect(sniffDelimiter(['cell,STAT1,IRF1', 'c1,0,3'])).toBe(',')
    expect(sniffDelimiter(['cell;STAT1;IRF1', 'c1;0,5;3'])).toBe(';')
    // commas inside a tab-separated file do not fool it
    expect(sniffDelimiter(['barcode\tguides', 'c1\tA,B', 'c2\tC'])).toBe('\t')
  })
})

describe('readCsvTable', () => {
  it('reads gzip by content, quoted newlines, a BOM and a pandas unnamed index column', async () => {
    const text = '\uFEFFcondition,note\nc1,ctrl,"two\nlines"\nc2,STAT1+ctrl,plain\n'
    const t = await readCsvTable(write('meta.csv.gz', zlib.gzipSync(text)), 'cell-metadata file')
    expect(t.header).toEqual(['', 'condition', 'note'])
    expect(t.rows).toEqual([
      ['c1', 'ctrl', 'two\nlines'],
      ['c2', 'STAT1+ctrl', 'plain'],
    ])
  })

  it('names the line whose width differs from the header', async () => {
    await expect(readCsvTable(write('bad.csv', 'a,b\n1,2\n3,4,5\n'), 'cell-metadata file')).rejects.toThrow(/bad\.csv has 3 fields on line 3 but its header has 2/)
  })
})

describe('cell metadata', () => {
  it('infers numbers, booleans and strings with missing values', () => {
    expect(inferColumn(['1', '2.5', 'NA'])).toEqual({ type: 'number', values: Float64Array.from([1, 2.5, NaN]) })
    expect(inferColumn(['True', 'false', ''])).toEqual({ type: 'boolean', values: [true, false, null] })
    expect(inferColumn(['rep_1', '', 'rep_2'])).toEqual({ type: 'string', values: ['rep_1', null, 'rep_2'] })
  })

  it('reads the Papalexi cells.csv with its barcode column found by name', async () => {
    const m = await readCellMetadata(path.join(SHARED_DIR, 'datasets/papalexi2021/cells.csv'))
    expect(m.barcodeColumn).toBe('barcode')
    expect(m.barcodes).toHaveLength(20729)
    expect(Object.keys(m.columns)).toEqual(['guide', 'target', 'replicate', 'guide_umi', 'total_guide_umi'])
    expect(m.columns.guide_umi.type).toBe('number')
    expect((m.columns.target.values as string[]).filter((t) => t === 'non-targeting')).toHaveLength(2386)
  })
})
