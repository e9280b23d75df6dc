import { InvalidArgumentError, Option } from 'commander'
import fs from 'node:fs'
import {
  AppError,
  COMPUTE_BACKENDS,
  MODEL_PRIORS,
  PERT_GRAPHS,
  TRAIN_BASELINES,
  SPLIT_KINDS,
  type RunComparison,
  type RunDetail,
  type RunEvaluation,
  type RunListItem,
  type TrainSetupInput,
} from '../../../src-shared/contract'
import { defaultHidden, TRAIN_DEFAULTS } from '../../../src-shared/domain/train-defaults'
import { ADDS_NOTHING_TEXT } from '../../../src-shared/domain/verdict'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'

interface TrainOptions {
  dataset: string
  model: string
  name?: string
  split: 'simulation' | 'single' | 'custom'
  splitSeed?: number
  assignment?: string
  seed: number
  epochs?: number
  batchConditions?: number
  workers?: number
  cellsPerCondition?: number | 'all'
  hidden?: number
  lr?: number
  weightDecay?: number
  schedule?: TrainSetupInput['schedule']
  backend?: TrainSetupInput['backend']
  selfEffect: boolean
  uncertainty?: boolean
  prior?: TrainSetupInput['prior']
  pertGraph?: TrainSetupInput['pertGraph']
}

const int = (what: string) => (v: string) => {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${what} must be a whole number.`)
  return Number(v)
}
const num = (what: string) => (v: string) => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number.`)
  return n
}
const cellsPerCondition = (v: string) => (v === 'all' ? 'all' : int('--cells-per-condition')(v))
// The help texts read the defaults from the contract, so they cannot drift from what a run uses.
const D = TRAIN_DEFAULTS
const scheduleText = (s: { kind: string; every?: number; factor?: number; minLr?: number }) => (s.kind === 'step' ? `step:${s.every}:${s.factor}` : s.kind === 'cosine' ? `cosine:${s.minLr}` : s.kind)

/** `reference`, `step:EVERY:FACTOR` or `cosine:MINLR` */
function schedule(v: string): TrainSetupInput['schedule'] {
  const [kind, a, b] = v.split(':')
  if (kind === 'reference' && a === undefined) return { kind: 'reference' }
  if (kind === 'step' && a && b) return { kind: 'step', every: int('the step schedule’s EVERY')(a), factor: num('the step schedule’s FACTOR')(b) }
  if (kind === 'cosine' && a) return { kind: 'cosine', minLr: num('the cosine schedule’s MINLR')(a) }
  throw new InvalidArgumentError('the schedule is reference, step:EVERY:FACTOR (e.g. step:5:0.5) or cosine:MINLR.')
}

/** A custom split from a CSV/TSV or JSON file: condition → train | val | test. */
function readAssignment(file: string): Record<string, 'train' | 'val' | 'test'> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new AppError('cli.unreadable-file', `Cannot read the split assignment ${file}: ${(err as Error).message}.`)
  }
  if (file.endsWith('.json')) return JSON.parse(text) as Record<string, 'train' | 'val' | 'test'>
  const out: Record<string, 'train' | 'val' | 'test'> = {}
  for (const line of text.split(/\r?\n/)) {
    const [condition, subset] = line.split(/[,\t]/).map((c) => c?.trim())
    if (!condition || !subset || /^condition$/i.test(condition)) continue
    out[condition] = subset as 'train' | 'val' | 'test'
  }
  return out
}

const ID = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} is a number.`)
  return Number(v)
}

const fmt = (x: number | null | undefined, digits = 4) => (typeof x === 'number' ? x.toFixed(digits) : '—')

/** The per-group test table, without per-condition detail. */
const testOf = (t: RunEvaluation | null) => (t ? { overall: t.overall, groups: t.groups, ...(t.excluded ? { excluded: t.excluded } : {}) } : null)

function trainResult(d: RunDetail, baselines: (BaselineResult & { model: string })[]) {
  return {
    runId: d.id,
    status: d.status,
    model: d.model,
    datasetId: d.datasetId,
    backend: d.backend,
    device: d.backendInfo?.device ?? null,
    split: { kind: d.split.kind, seed: d.split.seed, train: d.splitDetail?.train.length ?? null, val: d.splitDetail?.val.length ?? null, test: d.splitDetail?.test.length ?? null },
    bestEpoch: d.bestEpoch,
    epochs: d.epochLog.map((e) => ({ epoch: e.epoch, loss: e.losses.total ?? null, losses: e.losses, val: e.val, seconds: e.seconds, lr: e.lr, ...(e.alpha !== undefined ? { alpha: e.alpha, alphaPairs: e.alphaPairs } : {}) })),
    test: testOf(d.test),
    baselines: Object.fromEntries(baselines.map(({ model, ...b }) => [model, b])),
    verdict: d.verdict,
    pertGraph: d.pertGraph,
    selection: d.selection,
  }
}

function humanResult(r: ReturnType<typeof trainResult>): string {
  const groups = r.test ? [['overall', r.test.overall] as const, ...Object.entries(r.test.groups)] : []
  const lines = [
    `Run ${r.runId} (${r.model}) ${r.status} on ${r.backend ?? '?'} (${r.device ?? '?'}); split ${r.split.kind} seed ${r.split.seed}: ${r.split.train} train, ${r.split.val} val, ${r.split.test} test conditions; best epoch ${r.bestEpoch ?? '—'}`,
  ]
  if (r.pertGraph) lines.push(`Perturbation graph: ${r.pertGraph}`)
  if (r.selection) lines.push(`Chosen by ${r.selection.folds.length}-fold cross-validation over genes: epoch ${r.selection.epoch}, α ${r.selection.alpha.single} for single genes, ${r.selection.alpha.pairs} for pairs`)
  if (r.epochs.length) lines.push(table(r.epochs.map((e) => ({ epoch: e.epoch, loss: fmt(e.loss), 'val mse_de': fmt(e.val.mse_de), 'val pearson_delta': fmt(e.val.pearson_delta), seconds: e.seconds.toFixed(1) })), ['epoch', 'loss', 'val mse_de', 'val pearson_delta', 'seconds']))
  if (groups.length) {
    const rows = groups.map(([g, m]) => ({ group: g, n: m?.n, mse_de: fmt(m?.mse_de), pearson_delta: fmt(m?.pearson_delta), 'mse_de / no_perturb': fmt(m?.mse_de_norm, 3), ...Object.fromEntries(Object.entries(r.baselines).map(([b, v]) => [`${b} mse_de`, fmt(g === 'overall' ? v.test.overall?.mse_de : v.test.groups[g]?.mse_de)])) }))
    lines.push('', 'Test', table(rows, ['group', 'n', 'mse_de', 'pearson_delta', 'mse_de / no_perturb', ...Object.keys(r.baselines).map((b) => `${b} mse_de`)]))
  }
  if (r.verdict) {
    lines.push('', 'Verdict (test mse_de against the best baseline of each group; 95 % paired-bootstrap interval)')
    for (const [group, v] of Object.entries(r.verdict.groups)) if (v) lines.push(`  ${group.padEnd(14)} ${v.text}`)
    if (r.verdict.addsNothing) lines.push(`  ${ADDS_NOTHING_TEXT}`)
  }
  return lines.join('\n')
}

/** Waits for a run, printing progress to stderr (human mode); Ctrl-C cancels it after the current step. */
async function follow(s: CliSession, runId: number): Promise<RunDetail> {
  const training = s.context.services.training
  let lastLine = 0
  const listening = s.out.json
    ? []
    : [
        s.context.events.on('train:progress', (p) => {
          if (p.runId !== runId || Date.now() - lastLine < 1000) return
          lastLine = Date.now()
          s.out.info(`  epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch}  loss ${fmt(p.losses.total)}  ${Math.round(p.cellsPerSecond)} cells/s  ETA ${Math.round(p.etaSeconds)} s  ${p.memory.rssMb} MB`)
        }),
        s.context.events.on('run:changed', (c) => {
          if (c.epoch) s.out.info(`${c.runId === runId ? 'epoch' : `run ${c.runId} epoch`} ${c.epoch.epoch}: val mse_de ${fmt(c.epoch.val.mse_de)}, pearson_delta ${fmt(c.epoch.val.pearson_delta)} (${c.epoch.seconds.toFixed(1)} s)`)
          else s.out.info(`run ${c.runId}: ${c.status}`)
        }),
      ]
  let interrupted = false
  const onSigint = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    s.out.info('Cancelling after the current step (Ctrl-C again to quit at once)…')
    training.cancel(runId)
  }
  process.on('SIGINT', onSigint)
  try {
    const r = await training.waitFor(runId)
    if (r.status === 'failed') throw new AppError(r.errorCode ?? 'train.failed', `Run ${runId} failed: ${r.error ?? 'no reason recorded'}`)
    return await s.call('run:get', { id: runId })
  } finally {
    process.off('SIGINT', onSigint)
    for (const off of listening) off()
  }
}

type GroupRow = Omit<RunComparison['rows'][number], 'runId' | 'group'>
interface BaselineResult {
  runId: number
  /** set when scored on only the test conditions the run could predict */
  restrictedTo?: number
  test: { overall: GroupRow | null; groups: Record<string, GroupRow> }
}

/** The newest completed baselines of the run's dataset and split, scored on the run's test conditions. */
async function baselinesOf(s: CliSession, runId: number): Promise<(BaselineResult & { model: string })[]> {
  const cmp = await s.call('run:compare', { ids: [runId], withBaselines: true })
  return cmp.runs
    .filter((r) => r.added)
    .map((r) => {
      const rows = cmp.rows.filter((row) => row.runId === r.runId).map(({ runId: _id, group, ...m }) => [group, m] as const)
      const groups = Object.fromEntries(rows.filter(([g]) => g !== 'overall'))
      return { model: r.model, runId: r.runId, ...(r.restrictedTo !== undefined ? { restrictedTo: r.restrictedTo } : {}), test: { overall: rows.find(([g]) => g === 'overall')?.[1] ?? null, groups } }
    })
}

export const registerTrainingCommands: CommandRegistrar = (program, session) => {
  program
    .command('train')
    .description('train a model (or fit a baseline) on an imported dataset; baselines of the same split are fitted first')
    .requiredOption('--dataset <id>', 'dataset id (see: perturb-studio dataset list)', ID('--dataset'))
    .requiredOption('--model <name>', `gears, biodsnn, biodsnn-no-vae, biodsnn-no-attention, biodsnn-no-mask, or a baseline: ${TRAIN_BASELINES.join(', ')}`)
    .option('--name <label>', 'a label for the run list')
    .addOption(new Option('--split <kind>', 'how conditions are split').choices([...SPLIT_KINDS]).default('simulation'))
    .option('--split-seed <n>', 'seed of the split (default: --seed)', int('--split-seed'))
    .option('--assignment <file>', 'custom split: CSV/TSV (condition,subset) or JSON {condition: "train"|"val"|"test"}')
    .option('--seed <n>', 'seed of initialisation, sampling and dropout', int('--seed'), 1)
    .option('--epochs <n>', `epochs (default ${D.epochs})`, int('--epochs'))
    .option('--batch-conditions <n>', `conditions per step (default ${D.batchConditions})`, int('--batch-conditions'))
    .option('--cells-per-condition <n|all>', `cells per condition in each step (default ${D.cellsPerCondition})`, cellsPerCondition)
    .option('--hidden <n>', `hidden size (default ${defaultHidden('gears')} for gears, ${defaultHidden('biodsnn')} for the BioDSNN models)`, int('--hidden'))
    .option('--lr <x>', `learning rate (default ${D.lr})`, num('--lr'))
    .option('--weight-decay <x>', `Adam's L2 weight decay (default ${D.weightDecay})`, num('--weight-decay'))
    .option('--schedule <s>', `reference | step:EVERY:FACTOR | cosine:MINLR (default ${scheduleText(D.schedule)})`, schedule)
    .addOption(new Option('--backend <name>', 'force a compute backend (default: the best available)').choices([...COMPUTE_BACKENDS]))
    .option('--workers <n>', 'worker threads each step is split over on wasm or cpu (default: one per core; a run reproduces for its seed and this number)', int('--workers'))
    .option('--no-self-effect', 'leave out the self-effect link (ablation)')
    .addOption(new Option('--pert-graph <graph>', 'the perturbation graph genes are placed by: go, reactome, both, or auto (chosen by the run from the prior\'s validated Reactome share; default)').choices([...PERT_GRAPHS]))
    .addOption(new Option('--prior <kind>', `knowledge: the network learns a correction to the knowledge_prior baseline; none: the papers' formulation (default ${D.prior})`).choices([...MODEL_PRIORS]))
    .option('--uncertainty', 'add the uncertainty head')
    .action(async (opts: TrainOptions) => {
      const s = session()
      const setup: TrainSetupInput = {
        datasetId: Number(opts.dataset),
        model: opts.model as TrainSetupInput['model'],
        name: opts.name,
        split: { kind: opts.split, seed: opts.splitSeed ?? opts.seed, ...(opts.assignment ? { assignment: readAssignment(opts.assignment) } : {}) },
        seed: opts.seed,
        epochs: opts.epochs,
        batchConditions: opts.batchConditions,
        cellsPerCondition: opts.cellsPerCondition,
        hidden: opts.hidden,
        lr: opts.lr,
        weightDecay: opts.weightDecay,
        schedule: opts.schedule,
        backend: opts.backend,
        workers: opts.workers,
        selfEffect: opts.selfEffect,
        uncertainty: opts.uncertainty,
        prior: opts.prior,
        pertGraph: opts.pertGraph,
      }
      for (const k of Object.keys(setup) as (keyof TrainSetupInput)[]) if (setup[k] === undefined) delete setup[k]
      // The command waits: the worker lives in this process, so leaving would interrupt the run.
      const { runId } = await s.call('train:start', setup)
      if (!s.out.json) s.out.info(`Run ${runId} queued (${opts.model}); Ctrl-C cancels it after the current step.`)
      const detail = await follow(s, runId)
      const result = trainResult(detail, await baselinesOf(s, runId))
      s.out.result(result, humanResult(result))
    })

  program
    .command('runs')
    .description('list training runs, newest first')
    .option('--dataset <id>', 'only this dataset’s runs', ID('--dataset'))
    .option('--project <id|name>', 'only this project’s runs')
    .option('--no-baselines', 'leave out baseline runs')
    .action(async (opts: { dataset?: number; project?: string; baselines: boolean }) => {
      const s = session()
      const projectId = opts.project ? s.context.services.projects.resolve(opts.project).id : undefined
      const list = await s.call('run:list', { datasetId: opts.dataset, projectId, includeBaselines: opts.baselines })
      s.out.result(list, table(list.map(runRow), ['id', 'model', 'status', 'dataset', 'split', 'epochs', 'best', 'pearson_delta', 'mse_de', 'backend', 'created']))
    })

  const run = program.command('run').description('show, compare, resume, cancel or delete training runs')

  run
    .command('show')
    .description('a run’s config, backend, epochs and test evaluation by group')
    .argument('<id>', 'run id', ID('The run id'))
    .action(async (id: number) => {
      const s = session()
      const d = await s.call('run:get', { id })
      const r = trainResult(d, [])
      s.out.result({ ...d, test: testOf(d.test) }, [humanResult(r), ...(d.error ? [`error: ${d.error}`] : []), ...(d.resumable ? [`Resume with: perturb-studio run resume ${d.id}`] : [])].join('\n'))
    })

  run
    .command('compare')
    .description('metric table by test group for the runs, with the baselines of the same dataset and split')
    .argument('<ids...>', 'run ids')
    .option('--no-baselines', 'only the runs named')
    .action(async (ids: string[], opts: { baselines: boolean }) => {
      const s = session()
      const cmp = await s.call('run:compare', { ids: ids.map((v) => ID('A run id')(v)), withBaselines: opts.baselines })
      const names = new Map(cmp.runs.map((r) => [r.runId, `${r.runId} ${r.model}`]))
      const rows = cmp.rows.map((row) => ({ run: names.get(row.runId), group: row.group, n: row.n, mse_de: fmt(row.mse_de), pearson_delta: fmt(row.pearson_delta), 'mse_de / no_perturb': fmt(row.mse_de_norm, 3), pearson_de: fmt(row.pearson_de), frac_opposite: fmt(row.frac_opposite_direction_top20_non_dropout, 3) }))
      rows.sort((a, b) => cmp.groups.indexOf(a.group) - cmp.groups.indexOf(b.group))
      s.out.result(cmp, table(rows, ['group', 'run', 'n', 'mse_de', 'pearson_delta', 'mse_de / no_perturb', 'pearson_de', 'frac_opposite']))
    })

  run
    .command('resume')
    .description('continue a failed or cancelled run from its last checkpoint, and wait for it')
    .argument('<id>', 'run id', ID('The run id'))
    .action(async (id: number) => {
      const s = session()
      await s.call('train:resume', { runId: id })
      const result = trainResult(await follow(s, id), await baselinesOf(s, id))
      s.out.result(result, humanResult(result))
    })

  run
    .command('cancel')
    .description('cancel a queued run, or a running one after its current step')
    .argument('<id>', 'run id', ID('The run id'))
    .action(async (id: number) => {
      const s = session()
      const r = await s.call('train:cancel', { runId: id })
      s.out.result(r, `Run ${r.runId}: ${r.status}`)
    })

  run
    .command('delete')
    .description('delete a run with its epochs and checkpoints')
    .argument('<id>', 'run id', ID('The run id'))
    .action(async (id: number) => {
      const s = session()
      const r = await s.call('run:delete', { id })
      s.out.result(r, `Deleted run ${r.deleted}`)
    })

  program
    .command('backends')
    .description('compute backends available here, and why the others are not')
    .action(async () => {
      const s = session()
      const list = await s.call('backend:list', {})
      s.out.result(
        list,
        table(
          list.backends.map((b) => ({ backend: b.backend + (b.backend === list.auto ? ' (default)' : ''), available: b.available ? 'yes' : 'no', device: b.device ?? '', version: b.version ?? '', reason: b.reason ?? '' })),
          ['backend', 'available', 'device', 'version', 'reason'],
        ),
      )
    })
}

function runRow(r: RunListItem): Record<string, unknown> {
  return {
    id: r.id,
    model: r.model + (r.name ? ` “${r.name}”` : ''),
    status: r.status + (r.resumable ? ' (resumable)' : ''),
    dataset: r.datasetId,
    split: `${r.split.kind}/${r.split.seed}`,
    epochs: r.kind === 'baseline' ? '' : `${r.epochsDone}/${r.epochs}`,
    best: r.bestEpoch ?? '',
    pearson_delta: fmt(r.headline?.pearson_delta),
    mse_de: fmt(r.headline?.mse_de),
    backend: r.backend ?? '',
    created: r.createdAt.slice(0, 19).replace('T', ' '),
  }
}
