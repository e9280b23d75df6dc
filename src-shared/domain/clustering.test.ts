import { describe, expect, it } from 'vitest'
import { averageLinkage, correlationDistance, correlationOrder, euclideanOrder } from './clustering'

describe('correlationDistance', () => {
  it('is 0 for rows that rise and fall together whatever their size, 2 for opposite rows, 1 for a constant row', () => {
    expect(correlationDistance([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 12)
    expect(correlationDistance([1, 2, 3], [3, 2, 1])).toBeCloseTo(2, 12)
    expect(correlationDistance([1, 1, 1], [1, 2, 3])).toBe(1)
  })
})

describe('averageLinkage', () => {
  it('merges by average distance (UPGMA), as scipy linkage(method="average") does', () => {
    // points on a line: 0, 1, 5, 6, 20 → {0,1} at 1, {5,6} at 1, then those two at mean(5,6,4,5) = 5, then 20 at mean(20,19,15,14) = 17
    const x = [0, 1, 5, 6, 20]
    const d = averageLinkage(5, (i, j) => Math.abs(x[i] - x[j]))
    expect(d.merges.map((m) => [m.left, m.right, m.height])).toEqual([
      [[0], [1], 1],
      [[2], [3], 1],
      [[0, 1], [2, 3], 5],
      [[0, 1, 2, 3], [4], 17],
    ])
    expect(d.order).toEqual([0, 1, 2, 3, 4])
  })

  it('puts rows with the same profile next to each other, in a stable order', () => {
    const rows = [
      [1, 2, 3, 4],
      [-1, 0, 1, 0],
      [2, 4, 6, 8.5],
      [-2, 0, 2, 0.1],
      [4, 3, 2, 1],
    ]
    const order = correlationOrder(rows)
    expect(order).toEqual([0, 2, 1, 3, 4])
    expect(correlationOrder(rows)).toEqual(order)
    expect(correlationOrder([])).toEqual([])
    expect(correlationOrder([[1, 2]])).toEqual([0])
  })
})

describe('euclideanOrder (the pair map heatmap)', () => {
  it('clusters rows that look alike next to each other', () => {
    const rows = [
      [0, 5, 0, 5],
      [9, 0, 9, 0],
      [0, 5.1, 0, 5.2],
      [9.2, 0, 9.1, 0],
    ]
    const order = euclideanOrder(rows)
    expect(order).toHaveLength(4)
    const pos = (i: number) => order.indexOf(i)
    expect(Math.abs(pos(0) - pos(2))).toBe(1)
    expect(Math.abs(pos(1) - pos(3))).toBe(1)
  })
})
