import { describe, expect, it } from 'vitest'
import { geneLikeScore, isEnsemblId, looksLikeBarcode, looksLikeGeneSymbol } from './gene-names'

describe('gene name heuristics', () => {
  it('tells gene ids and symbols from barcodes and numbered cell names', () => {
    expect(isEnsemblId('ENSG00000115415')).toBe(true)
    expect(isEnsemblId('ENSMUSG00000026104.3')).toBe(true)
    expect(looksLikeBarcode('AAACCTGAGAAGGCCT-1')).toBe(true)
    expect(looksLikeBarcode('sample2_AAACCTGAGAAGGCCT')).toBe(true)
    for (const s of ['STAT1', 'HLA-DRA', 'C1orf43', 'Stat1', 'RP4-633I8.4']) expect(looksLikeGeneSymbol(s)).toBe(true)
    for (const s of ['AAACCTGAGAAGGCCT-1', 'ENSG00000115415', 'cell12', '12.5', 'STAT1+ctrl']) expect(looksLikeGeneSymbol(s)).toBe(false)
  })

  it('scores lists: symbols and ids high, barcodes and cell1…cellN low', () => {
    expect(geneLikeScore(['STAT1', 'IRF1', 'GAPDH', 'ACTB'])).toBeGreaterThan(0.9)
    expect(geneLikeScore(['ENSG00000115415', 'ENSG00000000003'])).toBeGreaterThan(0.9)
    expect(geneLikeScore(['AAACCTGAGAAGGCCT-1', 'AAACCTGAGACAGACC-1'])).toBeLessThan(0)
    expect(geneLikeScore(['c1', 'c2', 'c3'])).toBeLessThanOrEqual(0)
    expect(geneLikeScore(Array.from({ length: 100 }, (_, i) => `Cell_${i}`))).toBeLessThan(0)
  })
})
