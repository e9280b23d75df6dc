import { describe, expect, it } from 'vitest'
import { parseSignature, parseSignatureText } from './signature'

describe('target signatures', () => {
  it('reads a differential profile pasted from a CSV with a header, in any column order', () => {
    expect(parseSignatureText('# from DESeq2\nlog2FoldChange,gene\n2.5,HBB\n-1.25,GATA1\n')).toEqual({ genes: ['HBB', 'GATA1'], values: [2.5, -1.25], kind: 'profile' })
    expect(parseSignatureText('HBB\t2\nKLF1\t-0.5')).toEqual({ genes: ['HBB', 'KLF1'], values: [2, -0.5], kind: 'profile' })
  })

  it('reads genes with up/down as ±1', () => {
    expect(parseSignatureText('gene,direction\nHBB,up\nGATA1,down\nKLF1,+')).toEqual({ genes: ['HBB', 'GATA1', 'KLF1'], values: [1, -1, 1], kind: 'up-down' })
    expect(parseSignature({ up: ['A', 'B'], down: ['C'] })).toEqual({ genes: ['A', 'B', 'C'], values: [1, 1, -1], kind: 'up-down' })
  })

  it.each([
    ['a value that is neither a number nor up/down', 'HBB,1\nGATA1,high', /Line 2 \(GATA1\): "high"/],
    ['a gene without a value', 'gene,value\nHBB,1\nGATA1', /Line 3 \(GATA1\) has no value/],
    ['a gene listed twice', 'HBB,1\nhbb,2', /HBB more than once/],
    ['nothing but comments', '# nothing', /empty/],
  ])('refuses %s, naming the line or gene', (_what, text, message) => {
    expect(() => parseSignatureText(text)).toThrow(message)
  })

  it('refuses a gene both up and down, and an empty list', () => {
    expect(() => parseSignature({ up: ['A'], down: ['a'] })).toThrow(/both up and down/)
    expect(() => parseSignature({ up: [], down: [] })).toThrow(/empty/)
  })
})
