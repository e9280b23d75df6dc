import * as tf from '@tensorflow/tfjs'

export type CustomOpBody<T extends tf.Tensor> = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] }

/**
 * tf.customGrad with the inputs as an array and the save function apart (tfjs passes it as the last
 * argument). Inputs and intermediates are disposed before gradFunc runs unless passed to `save`
 * (perf-notes trap 7).
 */
export function customOp<T extends tf.Tensor>(body: CustomOpBody<T>): (...inputs: tf.Tensor[]) => T {
  const f = (...args: Array<tf.Tensor | tf.GradSaveFunc>) => body(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as tf.GradSaveFunc)
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => T
}
