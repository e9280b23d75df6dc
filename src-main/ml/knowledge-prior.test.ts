import { describe, expect, it } from 'vitest'
import { fitBaselines, fitBaselinesWithPrior, fittedFromRecord, fittedRecord, predictBaseline } from './baselines'
import type { TrainingData } from './engine-types'
import { fitKnowledgePrior, jaccard, KnowledgePrior } from './knowledge-prior'
import { makeSplit } from './splits'
import { annotationsOf, screenFromCells } from '../test-support/tiny-screen'
import { mulberry32, randomNormalArray } from './random'

/** Conditions from explicit cells (rows of expression), DE ranked by |mean change|. */
function screen(genes: string[], conds: { name: string; genes: string[]; cells: number[][] }[], annotations: Record<string, { go: number[]; l1: number[] }>): TrainingData {
  const pertGenes = Object.keys(annotations)
  return screenFromCells(genes, conds, { pertGenes, annotations: annotationsOf(pertGenes.map((g) => annotations[g].go), pertGenes.map((g) => annotations[g].l1)) })
}

describe('knowledge prior (docs/ml-engine.md §11.1)', () => {
  // Control at 1 everywhere; A knocks A down and raises B; B knocks B down and raises C.
  const data = screen(
    ['A', 'B', 'C', 'D'],
    [
      { name: 'ctrl', genes: [], cells: [[1, 1, 1, 1], [1, 1, 1, 1]] },
      { name: 'A+ctrl', genes: ['A'], cells: [[0.2, 1.5, 1, 1], [0.2, 1.5, 1, 1]] },
      { name: 'B+ctrl', genes: ['B'], cells: [[1, 0.4, 2, 1], [1, 0.4, 2, 1]] },
      { name: 'C+ctrl', genes: ['C'], cells: [[1, 1, 0.5, 1], [1, 1, 0.5, 1]] },
      { name: 'D+ctrl', genes: ['D'], cells: [[1, 1, 1, 0.5], [1, 1, 1, 0.5]] },
    ],
    { A: { go: [1, 2], l1: [10] }, B: { go: [2, 3], l1: [11] }, C: { go: [1, 2, 3], l1: [10] }, D: { go: [], l1: [] } },
  )
  const split = makeSplit(data.conditions, { kind: 'custom', seed: 1, assignment: { ctrl: 'train', 'A+ctrl': 'train', 'B+ctrl': 'train', 'C+ctrl': 'test', 'D+ctrl': 'val' } })

  it('equals a hand computation on a tiny screen', () => {
    const state = fitKnowledgePrior(data, split, fitBaselines(data, split))
    state.weights.set([0.5, 0.8, 0])
    const prior = new KnowledgePrior(state, data)
    // Training mean change m = (δ_A + δ_B)/2; self-effect: r = δ_g[g] − m[g] = −0.4, −0.55 at c̄ = 1
    // (one x value, so a = 0 and b = the mean, −0.475).
    const m = [-0.4, -0.05, 0.5, 0]
    expect(Array.from(state.trainMeanDelta)).toEqual(m.map((v) => expect.closeTo(v, 6)))
    expect(state.selfEffect[0]).toBeCloseTo(0, 6)
    expect(state.selfEffect[1]).toBeCloseTo(-0.475, 6)
    // C's neighbours: A by Reactome (Jaccard 1) and GO (2/3), B by GO (2/3): pooled 5/6 and 1/3.
    expect(Object.fromEntries(prior.neighbourWeights('C'))).toEqual({ A: expect.closeTo(5 / 7, 6), B: expect.closeTo(2 / 7, 6) })
    // Their changes with their own column set to m: δ'_A = (−0.4, 0.5, 0, 0), δ'_B = (0, −0.05, 1, 0).
    const k = [(5 / 7) * -0.4, (5 / 7) * 0.5 + (2 / 7) * -0.05, (2 / 7) * 1, 0]
    const e = k.map((v, g) => m[g] + 0.8 * (v - m[g]))
    e[2] = 0.5 - 0.475 // C's own column: m_C + a·c̄_C + b
    expect(Array.from(prior.estimate('C'))).toEqual(e.map((v) => expect.closeTo(v, 6)))
    expect(prior.sourceOf('C')).toBe('neighbours')
    // D has no annotation: train_mean_self.
    expect(Array.from(prior.estimate('D'))).toEqual([-0.4, -0.05, 0.5, -0.475].map((v) => expect.closeTo(v, 6)))
    expect(prior.sourceOf('D')).toBe('mean')
    // Measured singles are their measurement (κ = 0); a pair is the sum of its singles.
    expect(Array.from(prior.single('A'))).toEqual([-0.8, 0.5, 0, 0].map((v) => expect.closeTo(v, 6)))
    expect(Array.from(prior.delta(['A', 'C']))).toEqual([-0.8 + e[0], 0.5 + e[1], e[2], 0].map((v) => expect.closeTo(v, 6)))
    // For training, a trained single stands in for an unseen gene: its leave-one-out estimate.
    const loo = prior.delta(['A'], true)
    expect(loo[0]).toBeCloseTo(m[0] - 0.475, 6)
    expect(Array.from(loo)).toEqual(Array.from(prior.estimate('A', 'A')))
  })

  it('shrinks a measured single toward its estimate by κ/(n + κ)', () => {
    const state = fitKnowledgePrior(data, split, fitBaselines(data, split))
    state.weights.set([0.5, 0.8, 2])
    const prior = new KnowledgePrior(state, data)
    const e = prior.estimate('A', 'A')
    const got = prior.single('A')
    ;[-0.8, 0.5, 0, 0].forEach((d, g) => expect(got[g]).toBeCloseTo((2 * d + 2 * e[g]) / 4, 6))
  })

  it('is the knowledge_prior baseline, and survives storage', () => {
    const fitted = fitBaselinesWithPrior(data, split)
    const pred = predictBaseline('knowledge_prior', fitted, ['C'])
    const expected = fitted.prior!.delta(['C']).map((d, g) => Math.max(0, data.controlMean[g] + d))
    expect(Array.from(pred)).toEqual(Array.from(expected))
    const back = fittedFromRecord(fittedRecord(fitted), data)
    expect(Array.from(predictBaseline('knowledge_prior', back, ['C', 'A']))).toEqual(Array.from(predictBaseline('knowledge_prior', fitted, ['C', 'A'])))
  })

  it('learns from leave-one-gene-out to trust neighbours where genes of a pathway share a response', () => {
    // Four pathways of five genes; genes of a pathway share one response (plus their own knockdown)
    // and their pathway; GO terms are noise. One gene per pathway is held out.
    const rand = mulberry32(7)
    const G = 40
    const genes = Array.from({ length: G }, (_, i) => `G${i}`)
    const responses = Array.from({ length: 4 }, () => randomNormalArray(G, rand, 0.8))
    const conds: { name: string; genes: string[]; cells: number[][] }[] = [{ name: 'ctrl', genes: [], cells: [] }]
    const cell = (effect: ArrayLike<number>) => Array.from({ length: G }, (_, g) => 3 + effect[g] + 0.3 * (rand() - 0.5))
    for (let i = 0; i < 30; i++) conds[0].cells.push(cell(new Float32Array(G)))
    const annotations: Record<string, { go: number[]; l1: number[] }> = {}
    for (let p = 0; p < 4; p++) {
      for (let j = 0; j < 5; j++) {
        const g = p * 5 + j
        const effect = Float32Array.from(responses[p])
        effect[g] = -2
        conds.push({ name: `G${g}+ctrl`, genes: [`G${g}`], cells: Array.from({ length: 20 }, () => cell(effect)) })
        annotations[`G${g}`] = { go: [100 + Math.floor(rand() * 50), 200 + Math.floor(rand() * 50)], l1: [p] }
      }
    }
    const assignment: Record<string, 'train' | 'val' | 'test'> = Object.fromEntries(conds.map((c) => [c.name, 'train' as const]))
    for (let p = 0; p < 4; p++) assignment[`G${p * 5}+ctrl`] = 'test'
    assignment['G1+ctrl'] = 'val'
    const d = screen(genes, conds, annotations)
    const s = makeSplit(d.conditions, { kind: 'custom', seed: 1, assignment })
    const fitted = fitBaselinesWithPrior(d, s)
    const [lambda, rho] = fitted.prior!.state.weights
    expect(lambda).toBeGreaterThan(0.5)
    expect(rho).toBeGreaterThan(0.5)
    const err = (pred: Float32Array, p: number) => {
      let e = 0
      for (let g = 0; g < G; g++) if (g !== p * 5) e += (pred[g] - 3 - responses[p][g]) ** 2
      return e
    }
    for (let p = 0; p < 4; p++) {
      const gene = `G${p * 5}`
      expect(err(predictBaseline('knowledge_prior', fitted, [gene]), p)).toBeLessThan(0.3 * err(predictBaseline('train_mean_self', fitted, [gene]), p))
    }
  })

  it('jaccard counts shared ids of sorted lists', () => {
    expect(jaccard([1, 2, 3], [2, 3, 4])).toBeCloseTo(0.5)
    expect(jaccard([], [1])).toBe(0)
  })
})
