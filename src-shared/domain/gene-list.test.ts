import { describe, expect, it } from 'vitest'
import { parseGeneList } from './gene-list'

describe('parseGeneList', () => {
  it('reads conditions, comma lists and pasted columns alike', () => {
    expect(parseGeneList('STAT1+IRF1')).toEqual(['STAT1', 'IRF1'])
    expect(parseGeneList('STAT1, IRF1; JAK2')).toEqual(['STAT1', 'IRF1', 'JAK2'])
    expect(parseGeneList('STAT1\r\nIRF1\n\tJAK2\n')).toEqual(['STAT1', 'IRF1', 'JAK2'])
  })

  it('drops the control token, empty entries and repeats (first spelling wins)', () => {
    expect(parseGeneList('STAT1+ctrl')).toEqual(['STAT1'])
    expect(parseGeneList(' , ,; ')).toEqual([])
    expect(parseGeneList('stat1 STAT1 Stat1 IRF1')).toEqual(['stat1', 'IRF1'])
  })
})
