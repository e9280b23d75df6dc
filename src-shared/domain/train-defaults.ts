/** What a training run gets for whatever its setup leaves out (docs/ml-engine.md §3–§5). */
import type { TrainableName } from '../contract/channels/training'

/**
 * Defaults of docs/ml-engine.md §3–§5 — the one place they are written: the contract's zod defaults and
 * the engine's `defaultTrainConfig` both read them. Chosen on validation data: cosine decay from
 * lr to 1e-5 (GEARS' reference × 0.5 every epoch, `{ kind: 'reference' }`, is below 1e-4 from
 * epoch 5 and stops improving; halving every 5 epochs came second); λ_dir = 0.01 (beat 0.1 for
 * GEARS and BioDSNN on Papalexi splits: taken per cell against the control mean, the
 * differentiable direction term pushes Δ of sparsely detected genes down); 8 conditions per step
 * and no weight decay (norman-like, GEARS, 20 epochs, best validation mse_de: 0.1532 at 4
 * conditions and 5e-4, < 0.145 at 4 and 0, 0.1364 at 8 and 5e-4, 0.1298 at 8 and 0, 0.1320 at 16
 * and 0). BatchNorm in pert_fuse and the cross-gene MLP normalises over the step's conditions, so
 * 4 gave it 3–4 rows where the reference's per-cell batches spread over ~30 conditions; the L2
 * decay, added to gradients that reach a per-gene readout weight through 1/(cells·genes) of the
 * loss, kept the predicted changes small. docs/ml-engine.md and docs/results.md have the figures.
 */
export const TRAIN_DEFAULTS = {
  split: { kind: 'simulation', seed: 1 },
  seed: 1,
  epochs: 20,
  batchConditions: 8,
  cellsPerCondition: 32,
  lr: 1e-3,
  weightDecay: 0,
  schedule: { kind: 'cosine', minLr: 1e-5 },
  gradClip: 1,
  loss: { gamma: 2, lambdaDirection: 0.01, direction: 'tanh', tanhK: 10, betaKl: 1e-3, betaReconstruction: 1 },
  selfEffect: true,
  uncertainty: false,
  uncertaintyReference: false,
  maskLevel: { kind: 'l1' },
  prior: 'knowledge',
} as const

/**
 * The hidden size H when the setup leaves it out. GEARS: 96, chosen on validation (norman-like,
 * 20 epochs, the defaults above; best validation mse_de 0.1298 at 64, 0.1057 at 96, 0.1163 at
 * 128 with training seed 1; 0.1315 at 64, 0.1189 at 96 with seed 2). 128 took 64–66 s per
 * epoch over all cells on wasm, past the 60 s target (64: 24–26 s); 256 over 2 min. BioDSNN and its ablations keep docs/ml-engine.md §4's d_model 64: H is the width of the
 * gene embeddings its attention layer works on.
 */
export function defaultHidden(model: TrainableName): number {
  return model === 'gears' ? 96 : 64
}
