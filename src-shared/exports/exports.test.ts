import { describe, expect, it } from 'vitest'
import { csvText, parseCsv } from './csv'
import { safeFilename, withExtension } from './file-name'
import { float32Number, float32Numbers } from './numbers'
import { captionText, provenanceEntries, provenanceFileName, provenanceLines, provenanceText } from './provenance'
import { sheetName, tableCsv } from './table'

describe('tidy CSV', () => {
  it('round-trips through a spreadsheet-like parse: a plain header first, quoted cells, numbers as written', () => {
    const rows = [
      ['STAT1+ctrl', 'IRF1', 0.5, -1.25e-7, true],
      ['A+B', 'has, comma', 3, null, false],
      ['#hash', 'quote "q"', Number.NaN, 12345678.9, undefined],
      [' lead', 'line\nbreak', 0, -0, 1e21],
    ]
    const text = csvText(['condition', 'gene', 'x', 'y', 'flag'], rows)
    // Excel and Prism take the first line for the header: no comment lines before it.
    expect(text.split('\n')[0]).toBe('condition,gene,x,y,flag')
    const parsed = parseCsv(text)
    expect(parsed.comments).toEqual([])
    expect(parsed.header).toEqual(['condition', 'gene', 'x', 'y', 'flag'])
    expect(parsed.rows).toHaveLength(4)
    expect(parsed.rows[0]).toEqual(['STAT1+ctrl', 'IRF1', '0.5', '-1.25e-7', 'true'])
    expect(parsed.rows[1]).toEqual(['A+B', 'has, comma', '3', '', 'false'])
    expect(parsed.rows[2]).toEqual(['#hash', 'quote "q"', '', '12345678.9', ''])
    expect(parsed.rows[3]).toEqual([' lead', 'line\nbreak', '0', '0', '1e+21'])
    expect(text.endsWith('\n')).toBe(true)
  })

  it('refuses a row with the wrong number of values', () => {
    expect(() => csvText(['a', 'b'], [[1]])).toThrow(/1 values for 2 columns/)
  })

  it('writes one table export as its header row and rows, nothing else', () => {
    expect(tableCsv({ sheet: 'S', columns: ['gene', 'x'], rows: [['A', 1.5], ['B', null]] })).toBe('gene,x\nA,1.5\nB,\n')
  })

  it('reads CRLF files and a last line without a newline; skips the # lines of older exports', () => {
    expect(parseCsv('# c\r\na,b\r\n1,2\r\n3,4')).toEqual({ comments: ['c'], header: ['a', 'b'], rows: [['1', '2'], ['3', '4']] })
  })
})

describe('provenance', () => {
  const now = new Date('2026-01-02T03:04:05.000Z')
  it('writes one key: value per line, in a fixed order, without line breaks in values', () => {
    const lines = provenanceLines({ what: 'predicted\nexpression', dataset: 'small (#1)', run: '3', model: 'gears', seed: 1, knowledgeRelease: 'R90', extra: [['base', 'control mean']] }, '0.1.0', now)
    expect(lines).toEqual(['Perturb Studio 0.1.0', 'predicted expression', 'knowledge release: R90', 'dataset: small (#1)', 'run: 3', 'model: gears', 'seed: 1', 'base: control mean', 'exported: 2026-01-02T03:04:05.000Z'])
  })
  it('keeps the pathway screens’ header unchanged when only what/release/dataset are given', () => {
    expect(provenanceLines({ what: 'genes of pathway X', knowledgeRelease: 'R', dataset: null }, '1.2.3', now)).toEqual(['Perturb Studio 1.2.3', 'genes of pathway X', 'knowledge release: R', 'exported: 2026-01-02T03:04:05.000Z'])
  })
  it('gives the same provenance as key/value pairs for the workbook’s Provenance sheet', () => {
    const entries = provenanceEntries({ what: 'w', dataset: 'd', seed: 0, extra: [['k', 2]] }, '0.1.0', now)
    expect(entries).toEqual([['app', 'Perturb Studio 0.1.0'], ['contents', 'w'], ['dataset', 'd'], ['seed', '0'], ['k', '2'], ['exported', '2026-01-02T03:04:05.000Z']])
  })
  it('names the sidecar after its table and says which file and how much it describes', () => {
    expect(provenanceFileName('pred.csv')).toBe('pred.provenance.txt')
    expect(provenanceFileName('run.3.table.csv')).toBe('run.3.table.provenance.txt')
    const text = provenanceText({ what: 'predicted expression for STAT1', run: '3' }, '0.1.0', { fileName: 'pred.csv', rows: 12000, columns: 8 }, now)
    expect(text).toBe('Perturb Studio 0.1.0\npredicted expression for STAT1\nfile: pred.csv (one header row, then 12,000 rows × 8 columns)\nrun: 3\nexported: 2026-01-02T03:04:05.000Z\n')
  })
  it('makes sheet names Excel accepts, unique, never the Provenance sheet’s', () => {
    const taken = new Set(['provenance'])
    expect(sheetName('Provenance', taken)).toBe('Provenance (2)')
    expect(sheetName('DE: STAT1+IRF1 [all]/x?', taken)).toBe('DE- STAT1+IRF1 -all-x-')
    expect(sheetName('a'.repeat(40), taken)).toHaveLength(31)
    expect(sheetName('a'.repeat(40), taken)).toBe(`${'a'.repeat(27)} (2)`)
    expect(sheetName('   ', taken)).toBe('Table')
  })
  it('captions a chart with dataset, run, model, seed and app version', () => {
    expect(captionText({ dataset: 'small (#1)', run: 'run 3', model: 'gears', seed: 0 }, '0.1.0')).toBe('dataset small (#1) · run 3 · model gears · seed 0 · Perturb Studio 0.1.0')
  })
})

describe('numbers and file names', () => {
  it('prints float32 values with the shortest decimal that reads back as the same float32', () => {
    const f = Math.fround(0.1)
    expect(float32Number(f)).toBe(0.1)
    expect(float32Number(Math.fround(1 / 3))).toBe(0.33333334)
    for (const x of Float32Array.from([1e-30, -3.4e38, 123456.789, 0.000123, 7])) expect(Math.fround(float32Number(x))).toBe(x)
    expect(float32Numbers(Float32Array.from([0.5, Number.NaN]))).toEqual([0.5, Number.NaN])
  })
  it('makes file names safe and adds the extension once', () => {
    expect(safeFilename('prediction run 3: A+B/C')).toBe('prediction-run-3-A-B-C')
    expect(withExtension('table.csv', 'csv')).toBe('table.csv')
    expect(withExtension('../../etc/passwd', 'png')).toBe('etc-passwd.png')
  })
})
