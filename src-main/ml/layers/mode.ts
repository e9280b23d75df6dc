/** How a forward pass runs: training (dropout on, BatchNorm batch statistics) or inference. */
import { mulberry32 } from '../random'

export interface ForwardMode {
  training: boolean
  /** A fresh seed for each random draw (dropout patterns); deterministic for a given start seed. */
  nextSeed: () => number
}

export function trainingMode(seed: number): ForwardMode {
  const rand = mulberry32(seed)
  return { training: true, nextSeed: () => Math.floor(rand() * 4294967296) }
}

export const inferenceMode: ForwardMode = {
  training: false,
  nextSeed: () => 0,
}
