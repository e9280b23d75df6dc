import { describe, expect, it } from 'vitest'
import { knowledgeChannels } from './knowledge'

describe('knowledge channel inputs', () => {
  it('accepts release labels usable as file names and refuses the rest', () => {
    const setDefault = knowledgeChannels['knowledge:set-default'].input
    expect(setDefault.safeParse({ release: 'reactome-2024.11_v2' }).success).toBe(true)
    for (const bad of ['', '../x', 'a/b', '.hidden', 'x'.repeat(65), 'sp ace']) expect(setDefault.safeParse({ release: bad }).success, bad).toBe(false)
  })

  it('takes the mask level as L1 or "pathways with ≤ N genes"', () => {
    const mask = knowledgeChannels['knowledge:mask'].input
    expect(mask.safeParse({ genes: ['STAT1'] }).success).toBe(true)
    expect(mask.safeParse({ genes: ['STAT1'], level: { kind: 'max-genes', maxGenes: 50 } }).success).toBe(true)
    expect(mask.safeParse({ genes: ['STAT1'], level: { kind: 'max-genes', maxGenes: 0 } }).success).toBe(false)
    expect(mask.safeParse({ genes: [] }).success).toBe(false)
    expect(mask.safeParse({ genes: ['  '] }).success).toBe(false)
  })

  it('trims gene and pathway names', () => {
    expect(knowledgeChannels['knowledge:gene'].input.parse({ gene: ' STAT1 ' })).toEqual({ gene: 'STAT1' })
    expect(knowledgeChannels['knowledge:pathway'].input.parse({ id: ' R-HSA-1 ' })).toEqual({ id: 'R-HSA-1' })
  })
})
