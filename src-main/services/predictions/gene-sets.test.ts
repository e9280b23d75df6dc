import { describe, expect, it } from 'vitest'
import type { TrainingData } from '../../ml/engine-types'
import { buildVocabulary, MAX_SET_SIZE, resolveSets } from './gene-sets'

/** Vocabulary A..F: A, B trained alone; C only in A+C; D unseen with a GO partner; E unseen without; F only in GO. */
function data(withGo = true): TrainingData {
  const cond = (genes: string[]) => ({ condition: genes.length ? (genes.length === 1 ? `${genes[0]}+ctrl` : genes.join('+')) : 'ctrl', genes, cells: new Int32Array(0), de: null })
  const pertGenes = ['A', 'B', 'C', 'D', 'E', 'F', 'STING1']
  return {
    datasetId: 1,
    genes: ['A', 'B', 'C', 'D', 'E', 'X'],
    expression: { nRows: 0, nCols: 6, indptr: new Int32Array(1), indices: new Int32Array(0), data: new Float32Array(0) },
    conditions: [cond([]), cond(['A']), cond(['B']), cond(['A', 'C']), cond(['D']), cond(['E'])],
    controlMean: new Float32Array(6),
    knowledge: {
      release: 'R',
      pertGenes,
      // D, F and STING1 have partners; E's only edge is to itself.
      goEdges: withGo ? { source: Int32Array.from([0, 5, 3, 4, 0]), target: Int32Array.from([3, 3, 5, 4, 6]), weight: new Float32Array(5).fill(0.5) } : null,
      mask: null,
    },
  }
}
const split = { train: ['A+ctrl', 'B+ctrl', 'A+C'] }

describe('gene sets', () => {
  const vocab = buildVocabulary(data(), split, true)

  it('gives each placeable gene its status and sets apart the ones a model cannot place', () => {
    expect(Object.fromEntries(vocab.status)).toEqual({ A: 'seen-single', B: 'seen-single', C: 'seen-combo', D: 'unseen-in-knowledge', F: 'unseen-in-knowledge', STING1: 'unseen-in-knowledge' })
    expect([...vocab.unplaceable]).toEqual(['E'])
    // Any set up to MAX_SET_SIZE (docs/ml-engine.md §11.4); the largest measured one is what a larger set is flagged against.
    expect(vocab.maxSetSize).toBe(MAX_SET_SIZE)
    expect(vocab.measuredSetSize).toBe(2)
    // Baselines need no knowledge: every vocabulary gene.
    expect(buildVocabulary(data(false), split, false).status.get('E')).toBe('unseen-in-knowledge')
  })

  it('canonicalises sets, ignores case where unambiguous and follows aliases', () => {
    const alias = (q: string) => (q === 'TMEM173' ? 'STING1' : null)
    const r = resolveSets(vocab, [['d', 'A'], ['TMEM173']], 'Run 1', alias)
    const placed = { share: expect.any(Number), anchors: [{ gene: 'A', weight: expect.any(Number) }] }
    expect(r).toEqual([
      { genes: ['A', 'D'], condition: 'A+D', flags: [{ gene: 'D', status: 'unseen-in-knowledge', placedBy: placed }, { gene: 'A', status: 'seen-single' }] },
      { genes: ['STING1'], condition: 'STING1+ctrl', flags: [{ gene: 'STING1', status: 'unseen-in-knowledge', placedBy: placed }] },
    ])
  })

  it("says how much of an unseen gene's GO embedding comes from genes the run trained on, with SGConv's own weights", () => {
    // D's inputs: its self-loop (deg 2: 1/√(2·2)), A (trained; deg 1: 0.5/√(1·2)) and F (untrained; deg 1.5: 0.5/√(1.5·2)).
    const self = 0.5
    const a = 0.5 / Math.sqrt(2)
    const f = 0.5 / Math.sqrt(3)
    const d = vocab.placement('D')!
    expect(d.share).toBeCloseTo(a / (self + a + f), 6)
    expect(d.anchors).toEqual([{ gene: 'A', weight: expect.closeTo(a / (self + a + f), 6) }])
    // F's only partner is D, which the run never trained on; trained genes and baselines get none.
    expect(vocab.placement('F')).toEqual({ share: 0, anchors: [] })
    expect(vocab.placement('A')).toBeNull()
    expect(buildVocabulary(data(), split, false).placement('D')).toBeNull()
  })

  it('refuses with one message naming every gene at fault', () => {
    expect(() => resolveSets(vocab, [['A', 'ZZZ9'], ['E']], 'Run 1')).toThrow(expect.objectContaining({ code: 'predict.unknown-gene', message: expect.stringMatching(/Unknown gene: ZZZ9 \(no similar symbol\).*Run 1 cannot predict E: it was not perturbed in training and has no GO partners/) }))
    expect(() => resolveSets(vocab, [['E']], 'Run 1')).toThrow(expect.objectContaining({ code: 'predict.unplaceable-gene' }))
    expect(() => resolveSets(vocab, [['Aa']], 'Run 1')).toThrow(/Unknown gene: Aa \(closest: A\)/)
    expect(resolveSets(vocab, [['A', 'B', 'C']], 'Run 1')[0].condition).toBe('A+B+C')
    const tooMany = Array.from({ length: MAX_SET_SIZE + 1 }, () => 'A')
    expect(() => resolveSets(vocab, [tooMany], 'Run 1')).toThrow(expect.objectContaining({ code: 'predict.too-many-genes' }))
    expect(() => resolveSets(vocab, [['A'], []], 'Run 1')).toThrow(expect.objectContaining({ code: 'predict.empty-set', message: expect.stringMatching(/^Gene set 2 is empty/) }))
  })
})
