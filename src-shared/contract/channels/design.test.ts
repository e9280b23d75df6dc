import { describe, expect, it } from 'vitest'
import { designChannels } from './design'

describe('design inputs', () => {
  it('splits pasted genes on commas, spaces and lines', () => {
    const r = designChannels['design:map'].input.parse({ runId: 1, genes: 'A, B;C\n D\tE' })
    expect(r.genes).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(r).toMatchObject({ scope: 'placed', maxUncertainty: 'auto', confirm: false })
  })

  it('refuses unknown thresholds and a signature of the wrong shape', () => {
    expect(designChannels['design:map'].input.safeParse({ runId: 1, genes: 'A,B', thresholds: { magic: 1 } }).success).toBe(false)
    expect(designChannels['design:search'].input.safeParse({ runId: 1, signature: { genes: ['A'] } }).success).toBe(false)
    expect(designChannels['design:search'].input.parse({ runId: 1, signature: { up: ['A'] } }).signature).toEqual({ up: ['A'], down: [] })
  })
})
