import { InvalidArgumentError, Option } from 'commander'
import fs from 'node:fs'
import { AppError, GI_DEFAULTS, GI_SCORE_NAMES, HEATMAP_ORDERS, MAP_SCOPES, type GiMap, type MapScope, type GiScoreName, type GiThresholds, type HeatmapOrder, type PairGi } from '../../../src-shared/contract'
import { pct } from '../../../src-shared/exports/numbers'
import { guidePlanFile, heatmapFile, mapTableFile, observedFile, type DesignFile } from '../../services/design/design-files'
import { APP_VERSION } from '../../version'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'

const positiveInt = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`${what} must be a whole number of at least 1.`)
  return Number(v)
}
const number = (what: string) => (v: string) => {
  const x = Number(v)
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${what} must be a number.`)
  return x
}
const geneList = (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(/[\s,;]+/).filter(Boolean)]
const THRESHOLD_KEYS = Object.keys(GI_DEFAULTS.thresholds) as (keyof GiThresholds)[]
const threshold = (v: string, prev: Partial<GiThresholds> | undefined) => {
  const m = /^([A-Za-z]+)=(.+)$/.exec(v.trim())
  if (!m || !THRESHOLD_KEYS.includes(m[1] as keyof GiThresholds) || !Number.isFinite(Number(m[2]))) {
    throw new InvalidArgumentError(`--threshold takes NAME=VALUE with NAME one of ${THRESHOLD_KEYS.join(', ')}.`)
  }
  return { ...prev, [m[1]]: Number(m[2]) }
}
const fmt = (x: number | null | undefined, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—')

function progress(s: CliSession): () => void {
  if (s.out.json) return () => undefined
  const off = s.context.events.subscribe((event, payload) => {
    if (event === 'job:progress') s.out.info(`  ${Math.round((payload as { fraction: number }).fraction * 100)}% ${(payload as { message: string }).message}`)
  })
  return () => void off()
}

function write(s: CliSession, target: string, f: DesignFile, ids: { projectId: number; runId?: number }) {
  const saved = s.context.services.exports.writeTo(target, { kind: f.kind, format: f.format, fileName: f.fileName, bytes: f.bytes, projectId: ids.projectId, runId: ids.runId })
  return { path: saved.path!, format: f.format, bytes: saved.bytes, ...(f.width ? { width: f.width, height: f.height } : {}) }
}

function pairJson(p: PairGi) {
  return { condition: p.condition, genes: p.genes, seen: p.seen, type: p.call?.type ?? null, criteria: p.call?.criteria ?? [], illDetermined: p.call?.illDetermined ?? null, scores: p.scores, uncertainty: p.uncertainty, observed: p.observed, ...(p.note ? { note: p.note } : {}) }
}

function mapHuman(map: GiMap, top: number): string {
  const byType = new Map<string, number>()
  for (const p of map.pairs) byType.set(p.call?.type ?? 'not scored', (byType.get(p.call?.type ?? 'not scored') ?? 0) + 1)
  const ranked = [...map.pairs].filter((p) => p.scores).sort((a, b) => b.scores!.mag - a.scores!.mag)
  // ⚠: nearly collinear singles, so mag and the call are ill-determined
  const row = (p: PairGi) => ({ pair: p.condition, type: `${p.call?.type ?? '—'}${p.call?.illDetermined ? ' ⚠' : ''}`, mag: fmt(p.scores?.mag), corr_fit: fmt(p.scores?.corr_fit), dcor_singles: fmt(p.scores?.dcor_singles), singles_cos: fmt(p.scores?.singles_cos), dominance: fmt(p.scores?.dominance), uncertainty: fmt(p.uncertainty), observed: p.observed?.call?.type ?? '' })
  const cols = ['pair', 'type', 'mag', 'corr_fit', 'dcor_singles', 'singles_cos', 'dominance', 'uncertainty', 'observed']
  const ill = map.pairs.filter((p) => p.call?.illDetermined).length
  return [
    `Pair map ${map.mapId}: ${map.pairCount.toLocaleString('en')} pairs of ${map.geneCount} genes (${map.origin}), run ${map.runId} (${map.model}), ${map.seconds} s`,
    `types: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}${map.excluded ? `; ${map.excluded} pairs with no seen gene left out` : ''}`,
    ...map.warnings.map((w) => `note: ${w}`),
    ...(ill ? [`⚠ ${ill} pairs have nearly collinear predicted singles (|singles_cos| > ${map.settings.thresholds.collinearSingles}): their mag and call are ill-determined.`] : []),
    '',
    `Highest magnitude:`,
    table(ranked.slice(0, top).map(row), cols),
    '',
    `Lowest magnitude:`,
    table(ranked.slice(-top).reverse().map(row), cols),
  ].join('\n')
}

export const registerDesignCommands: CommandRegistrar = (program, session) => {
  program
    .command('gi')
    .description('genetic-interaction scores (model.md §9): every pair of a gene set predicted by a run (a pair map, stored), or the pairs a dataset measured (--observed)')
    .option('--run <id>', 'run id (see: perturb-studio runs)', positiveInt('--run'))
    .option('--genes <A,B,C>', 'genes of the map (commas or spaces; repeatable)', geneList)
    .option('--pathway <id>', 'take the genes of a Reactome pathway (those the run can predict)')
    .addOption(
      new Option('--scope <scope>', 'pairs to predict: both (two seen genes), placed (default: a seen gene, the other seen or placed by GO), seen (a seen gene, however weakly the other is placed), all (also no seen gene, under --max-uncertainty)')
        .choices(MAP_SCOPES),
    )
    .option('--both-seen', 'short for --scope both')
    .option('--all-pairs', 'short for --scope all')
    .option('--max-uncertainty <sd|auto>', 'cut for pairs with no seen gene (default auto: the median of the pairs with a seen gene)', (v: string) => (v === 'auto' ? 'auto' : number('--max-uncertainty')(v)), 'auto')
    .option('--pairs-only', 'list only the pairs (not the singles and settings) in the output')
    .option('--observed', 'score the pairs the dataset measured with both singles (needs --dataset)')
    .option('--dataset <id>', 'dataset id for --observed', positiveInt('--dataset'))
    .option('--list', 'list the stored pair maps (of --run, when given)')
    .option('--map <id>', 'show a stored map instead of computing one', positiveInt('--map'))
    .option('--csv <file>', 'write every pair with all scores and calls (# provenance header)')
    .option('--png <file>', 'write the map’s heatmap as PNG')
    .option('--svg <file>', 'write the map’s heatmap as SVG')
    .addOption(new Option('--score <name>', 'score coloured in the heatmap').choices([...GI_SCORE_NAMES]).default('mag'))
    .addOption(new Option('--order <order>', 'gene order of the heatmap').choices([...HEATMAP_ORDERS]).default('given'))
    .option('--threshold <name=value>', `a call threshold (repeatable): ${THRESHOLD_KEYS.join(', ')}`, threshold)
    .option('--expression-threshold <x>', `genes in the fit: control mean above this (default ${GI_DEFAULTS.expressionThreshold})`, number('--expression-threshold'))
    .option('--name <label>', 'a label for the stored map')
    .option('--top <n>', 'pairs listed in the text output', positiveInt('--top'), 10)
    .option('-y, --yes', 'go ahead with a large map (more than 6,000 pairs) after the estimate')
    .action(async (opts: {
      run?: number
      genes?: string[]
      pathway?: string
      scope?: MapScope
      allPairs?: boolean
      bothSeen?: boolean
      maxUncertainty: number | 'auto'
      pairsOnly?: boolean
      observed?: boolean
      dataset?: number
      list?: boolean
      map?: number
      csv?: string
      png?: string
      svg?: string
      score: GiScoreName
      order: HeatmapOrder
      threshold?: Partial<GiThresholds>
      expressionThreshold?: number
      name?: string
      top: number
      yes?: boolean
    }) => {
      const s = session()
      if (opts.list) {
        const maps = await s.call('design:maps', { runId: opts.run })
        s.out.result(maps, table(maps.map((m) => ({ map: m.mapId, run: m.runId, model: m.model, genes: m.geneCount, pairs: m.pairCount, scope: m.scope, origin: m.origin, created: m.createdAt })), ['map', 'run', 'model', 'genes', 'pairs', 'scope', 'origin', 'created']))
        return
      }
      if (opts.observed) {
        if (!opts.dataset) throw new AppError('cli.usage', 'gi --observed needs --dataset <id>.')
        const obs = await s.call('design:observed', { datasetId: opts.dataset, thresholds: opts.threshold, expressionThreshold: opts.expressionThreshold })
        const files = []
        if (opts.csv) {
          const ds = s.context.services.datasets.require(opts.dataset).summary
          files.push(write(s, opts.csv, observedFile(obs, APP_VERSION), { projectId: ds.projectId }))
        }
        const counts = new Map<string, number>()
        for (const p of obs.pairs) counts.set(p.call?.type ?? 'not scored', (counts.get(p.call?.type ?? 'not scored') ?? 0) + 1)
        s.out.result(
          { ...obs, files },
          [
            `Observed GI scores of dataset ${obs.datasetName} (#${obs.datasetId}): ${obs.pairs.length} pairs measured with both singles${obs.skipped.length ? `, ${obs.skipped.length} pairs skipped` : ''}`,
            `types: ${[...counts].map(([t, n]) => `${t} ${n}`).join(', ')}`,
            table(obs.pairs.slice(0, opts.top * 3).map((p) => ({ pair: p.condition, type: p.call?.type ?? '—', mag: fmt(p.scores?.mag), corr_fit: fmt(p.scores?.corr_fit), dcor_singles: fmt(p.scores?.dcor_singles), dominance: fmt(p.scores?.dominance) })), ['pair', 'type', 'mag', 'corr_fit', 'dcor_singles', 'dominance']),
            ...files.map((f) => `Wrote ${f.path}`),
          ].join('\n'),
        )
        return
      }
      let map: GiMap
      if (opts.map) map = await s.call('design:get', { mapId: opts.map })
      else {
        if (!opts.run) throw new AppError('cli.usage', 'gi needs --run <id> and --genes A,B,C (or --pathway ID); or --observed --dataset ID; or --map ID.')
        const scopes = [opts.scope, opts.bothSeen && 'both', opts.allPairs && 'all'].filter((x): x is MapScope => Boolean(x))
        if (scopes.length > 1) throw new AppError('cli.usage', '--scope, --both-seen and --all-pairs each choose the pairs; give one of them.')
        const stop = progress(s)
        try {
          map = await s.call('design:map', {
            runId: opts.run,
            genes: opts.genes,
            pathwayId: opts.pathway,
            scope: scopes[0] ?? 'placed',
            maxUncertainty: opts.maxUncertainty,
            thresholds: opts.threshold,
            expressionThreshold: opts.expressionThreshold,
            confirm: Boolean(opts.yes),
            name: opts.name,
          })
        } finally {
          stop()
        }
      }
      const files = []
      const ids = { projectId: map.source.projectId, runId: map.runId }
      if (opts.csv) files.push(write(s, opts.csv, mapTableFile(map), ids))
      if (opts.png) files.push(write(s, opts.png, await heatmapFile(map, opts.score, opts.order, 'png'), ids))
      if (opts.svg) files.push(write(s, opts.svg, await heatmapFile(map, opts.score, opts.order, 'svg'), ids))
      const { pairs, singles, geneList: genes, source, ...rest } = map
      const out = opts.pairsOnly ? { mapId: map.mapId, pairs: pairs.map(pairJson), files } : { ...rest, source: { ...source, genes: undefined, controlMean: undefined }, genes, singles, pairs: pairs.map(pairJson), files }
      s.out.result(out, [mapHuman(map, opts.top), ...files.map((f) => `Wrote ${f.path}`)].join('\n'))
    })

  program
    .command('search')
    .description('rank single and pair perturbations by how well their predicted change matches a target signature (cosine / Pearson on the signature genes)')
    .requiredOption('--run <id>', 'run id', positiveInt('--run'))
    .requiredOption('--signature <file>', 'CSV/TSV: gene,value (a differential profile) or gene,up/down; or JSON {"up": [...], "down": [...]} or {"GENE": value}')
    .option('--genes <A,B,C>', 'candidate genes (default: every gene the run saw in training)', geneList)
    .option('--pathway <id>', 'candidates: the genes of a Reactome pathway')
    .option('--no-pairs', 'rank single perturbations only')
    .addOption(new Option('--rank-by <metric>', 'ranking').choices(['cosine', 'pearson']).default('cosine'))
    .option('--top <n>', 'perturbations listed', positiveInt('--top'), 20)
    .option('--include-perturbed', 'score the candidates’ own genes too (their self effect matches any signature listing them)')
    .option('-y, --yes', 'go ahead with a large search (more than 6,000 pairs)')
    .action(async (opts: { run: number; signature: string; genes?: string[]; pathway?: string; pairs: boolean; rankBy: 'cosine' | 'pearson'; top: number; includePerturbed?: boolean; yes?: boolean }) => {
      const s = session()
      let text: string
      try {
        text = fs.readFileSync(opts.signature, 'utf8')
      } catch (err) {
        throw new AppError('design.bad-signature', `Cannot read the signature file ${opts.signature}: ${(err as Error).message}`)
      }
      let signature: { up: string[]; down: string[] } | { profile: Record<string, number> } | { text: string } = { text }
      if (/^\s*[{[]/.test(text)) {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (err) {
          throw new AppError('design.bad-signature', `${opts.signature} looks like JSON but does not parse: ${(err as Error).message}`)
        }
        const o = json as Record<string, unknown>
        signature = Array.isArray(o.up) || Array.isArray(o.down) ? { up: (o.up as string[]) ?? [], down: (o.down as string[]) ?? [] } : { profile: o as Record<string, number> }
      }
      const stop = progress(s)
      try {
        const r = await s.call('design:search', { runId: opts.run, signature, genes: opts.genes, pathwayId: opts.pathway, pairs: opts.pairs, rankBy: opts.rankBy, top: opts.top, excludePerturbed: !opts.includePerturbed, confirm: Boolean(opts.yes) })
        const { source, ...rest } = r
        s.out.result(
          { ...rest, source: { ...source, genes: undefined, controlMean: undefined } },
          [
            `Run ${r.runId} (${source.model}): ${r.candidates.toLocaleString('en')} perturbations ranked by ${r.rankBy} on ${r.signatureGenes} signature genes${r.unmatchedCount ? ` (${r.unmatchedCount} not measured: ${r.unmatched.slice(0, 8).join(', ')}${r.unmatchedCount > 8 ? ', …' : ''})` : ''}, ${r.seconds} s`,
            table(
              r.hits.map((h, i) => ({ rank: i + 1, perturbation: h.condition, cosine: fmt(h.cosine), pearson: fmt(h.pearson), uncertainty: fmt(h.uncertainty), matches: h.topMatches.map((m) => m.gene).join(' ') })),
              ['rank', 'perturbation', 'cosine', 'pearson', 'uncertainty', 'matches'],
            ),
          ].join('\n'),
        )
      } finally {
        stop()
      }
    })

  program
    .command('plan')
    .description('a guide plan: shortlisted perturbations with predicted GI scores and type, top changed genes, uncertainty and whether each gene was seen (CSV)')
    .requiredOption('--run <id>', 'run id', positiveInt('--run'))
    .requiredOption('--items <A+B,C>', 'shortlisted perturbations, comma separated (A or A+B)', (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter(Boolean)])
    .option('--map <id>', 'the pair map they were shortlisted from (its scores and thresholds are reused)', positiveInt('--map'))
    .option('--csv <file>', 'write the plan (# provenance header)')
    .option('--top-genes <n>', 'predicted top changed genes per perturbation', positiveInt('--top-genes'), GI_DEFAULTS.planTopGenes)
    .action(async (opts: { run: number; items: string[]; map?: number; csv?: string; topGenes: number }) => {
      const s = session()
      const plan = await s.call('design:plan', { runId: opts.run, mapId: opts.map, items: opts.items, topGenes: opts.topGenes })
      const files = opts.csv ? [write(s, opts.csv, guidePlanFile(plan), { projectId: plan.source.projectId, runId: plan.runId })] : []
      s.out.result(
        { ...plan, source: { ...plan.source, genes: undefined, controlMean: undefined }, files },
        [
          table(
            plan.rows.map((r) => ({ perturbation: r.condition, seen: r.genes.map((g) => (g.status !== 'unseen-in-knowledge' ? 'yes' : g.placedBy ? `no (${pct(g.placedBy.share)} GO)` : 'no')).join('/'), type: r.call?.type ?? '', mag: fmt(r.scores?.mag), uncertainty: fmt(r.uncertainty), top: r.topChanges.slice(0, 4).map((t) => t.gene).join(' ') })),
            ['perturbation', 'seen', 'type', 'mag', 'uncertainty', 'top'],
          ),
          ...files.map((f) => `Wrote ${f.path}`),
        ].join('\n'),
      )
    })
}
