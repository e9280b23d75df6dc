/**
 * Named weights for the functional layers: each layer asks for `store.param(name, shape, init)` and
 * gets the same variable on every call. Initial values come from a generator seeded by
 * (store seed, parameter name), so they do not depend on creation order, the backend or tfjs's RNG.
 * Non-trainable state (BatchNorm running statistics) lives here too and is saved with the weights.
 */
import * as tf from '@tensorflow/tfjs'
import { hashSeed, mulberry32, randomNormalArray } from '../random'

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'uniform'; limit: number }
  | { kind: 'normal'; std: number }

/** PyTorch's nn.Linear default (kaiming_uniform with a = √5, and the bias): U(±1/√fanIn). */
export const torchLinearInit = (fanIn: number): Init => ({ kind: 'uniform', limit: 1 / Math.sqrt(fanIn) })
/** Glorot / Xavier uniform: U(±√(6 / (fanIn + fanOut))). */
export const glorotInit = (fanIn: number, fanOut: number): Init => ({ kind: 'uniform', limit: Math.sqrt(6 / (fanIn + fanOut)) })

export interface ParamEntry {
  name: string
  variable: tf.Variable
  trainable: boolean
}

export class ParamStore {
  private readonly entries = new Map<string, ParamEntry>()

  constructor(readonly seed: number) {}

  /** Returns the named variable, creating it with `init` on first use; the shape must match. */
  param(name: string, shape: number[], init: Init, options: { trainable?: boolean } = {}): tf.Variable {
    const existing = this.entries.get(name)
    if (existing) {
      if (!sameShape(existing.variable.shape, shape)) throw new Error(`parameter ${name} has shape [${existing.variable.shape.join(', ')}], asked for [${shape.join(', ')}]`)
      return existing.variable
    }
    const values = initialValues(shape, init, hashSeed(`${this.seed}:${name}`))
    return this.add(name, tf.tensor(values, shape, 'float32'), options.trainable ?? true)
  }

  /** Adds a variable holding a copy of `value` (used when loading saved weights). */
  add(name: string, value: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter ${name} already exists`)
    // No tfjs variable name: those are global to the engine and would clash between stores.
    const variable = tf.variable(value, trainable)
    value.dispose()
    this.entries.set(name, { name, variable, trainable })
    return variable
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  get(name: string): tf.Variable {
    const entry = this.entries.get(name)
    if (!entry) throw new Error(`no parameter named ${name}`)
    return entry.variable
  }

  /** All entries, sorted by name (stable order for saving and optimisers). */
  list(): ParamEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  trainableVariables(): tf.Variable[] {
    return this.list().filter((e) => e.trainable).map((e) => e.variable)
  }

  /** Number of trainable scalars. */
  size(): number {
    return this.list().reduce((n, e) => n + (e.trainable ? e.variable.size : 0), 0)
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose()
    this.entries.clear()
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

export function initialValues(shape: number[], init: Init, seed: number): Float32Array {
  const n = shape.reduce((a, d) => a * d, 1)
  switch (init.kind) {
    case 'zeros':
      return new Float32Array(n)
    case 'ones':
      return new Float32Array(n).fill(1)
    case 'uniform': {
      const rand = mulberry32(seed)
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.limit
      return out
    }
    case 'normal':
      return randomNormalArray(n, mulberry32(seed), init.std)
  }
}
