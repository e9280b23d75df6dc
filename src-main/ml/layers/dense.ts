import * as tf from '@tensorflow/tfjs'
import { linear } from '../ops/linear'
import { torchLinearInit, type Init, type ParamStore } from './param-store'

export interface DenseOptions {
  bias?: boolean
  /** Weight init; PyTorch's nn.Linear default when absent. */
  init?: Init
  biasInit?: Init
}

/**
 * y = x·W + b with `${name}.weight` [in, out] (the transpose of PyTorch's [out, in] layout, so the
 * forward is a plain matMul) and `${name}.bias` [out].
 */
export function dense(store: ParamStore, name: string, x: tf.Tensor2D, outDim: number, options: DenseOptions = {}): tf.Tensor2D {
  const inDim = x.shape[1]
  const w = store.param(`${name}.weight`, [inDim, outDim], options.init ?? torchLinearInit(inDim)) as tf.Tensor2D
  if (options.bias === false) return linear(x, w)
  const b = store.param(`${name}.bias`, [outDim], options.biasInit ?? torchLinearInit(inDim)) as tf.Tensor1D
  return linear(x, w, b)
}
