import { InvalidArgumentError, Option } from 'commander'
import fs from 'node:fs'
import { AppError, confirmNeededOf, GI_SCORE_NAMES, HEATMAP_ORDERS, MAP_SCOPES, type GiMap, type MapScope, type GiScoreName, type GiThresholds, type GuidePlan, type HeatmapOrder, type Knockdown, type PairGi, type SearchResult, type SearchTie } from '../../../src-shared/contract'
import { costText } from '../../../src-shared/domain/design-cost'
import { compareCalls, giVerdict } from '../../../src-shared/domain/gi-call'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { pct } from '../../../src-shared/exports/numbers'
import { guidePlanFile, heatmapFile, mapTableFile, observedFile, type DesignFile } from '../../services/design/design-files'
import { APP_VERSION } from '../../runtime/version'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'
import { tableFileArg } from '../table-file-option'

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

/** A large map or search waits for a go-ahead: the core's estimate, with this front end's instruction. */
function askForYes(err: unknown): never {
  const ask = confirmNeededOf(err)
  if (!ask) throw err
  throw new AppError('design.confirm-needed', `${costText(ask)} Rerun with --yes to ${ask.kind === 'map' ? 'compute it' : 'search them, or give fewer genes'}.`, ask)
}

function progress(s: CliSession): () => void {
  if (s.out.json) return () => undefined
  const off = s.context.events.on('job:progress', (p) => s.out.info(`  ${Math.round(p.fraction * 100)}% ${p.message}`))
  return () => void off()
}

function write(s: CliSession, target: string, f: DesignFile, ids: { projectId: number; runId?: number }) {
  const saved = s.context.services.exports.writeTo(target, { kind: f.kind, format: f.format, fileName: f.fileName, bytes: f.bytes, projectId: ids.projectId, runId: ids.runId, provenance: f.provenance })
  return { path: saved.path!, format: f.format, bytes: saved.bytes, ...(f.width ? { width: f.width, height: f.height } : {}), ...(saved.provenance ? { provenance: saved.provenance.path! } : {}) }
}

const wrote = (f: ReturnType<typeof write>) => `Wrote ${f.path}${f.provenance ? ` and its provenance ${f.provenance}` : ''}`

/** Search hits for the terminal: a tie is one row (`1–19 (tie)`, its members named), never a ranking. */
function searchRows(r: SearchResult) {
  const rows: Record<string, string | number>[] = []
  const shown = new Set<number>()
  for (const h of r.hits) {
    const matches = h.topMatches.map((m) => m.gene).join(' ')
    if (h.tie === null) {
      // a candidate whose own gene is the whole signature has nothing left to score
      if (h.genesScored === 0) rows.push({ rank: '—', perturbation: h.condition, cosine: 'not scored', pearson: '', uncertainty: '', matches: '' })
      else rows.push({ rank: h.rank, perturbation: h.condition, cosine: fmt(h.cosine), pearson: fmt(h.pearson), uncertainty: fmt(h.uncertainty), matches })
      continue
    }
    if (shown.has(h.tie)) continue
    shown.add(h.tie)
    const t = r.ties.find((x) => x.tie === h.tie)!
    const names = t.conditions.map((c) => c.replace(/\+ctrl$/, ''))
    rows.push({ rank: `${t.rank}–${t.rank + names.length - 1} (tie)`, perturbation: `${names.length} tied: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`, cosine: tieScore(r, t, 'cosine'), pearson: tieScore(r, t, 'pearson'), uncertainty: '', matches })
  }
  return rows
}

function tieScore(r: SearchResult, t: SearchTie, metric: 'cosine' | 'pearson'): string {
  const values = r.hits.filter((h) => h.tie === t.tie).map((h) => h[metric])
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  if (!finite.length) return '—'
  const lo = Math.min(...finite)
  const hi = Math.max(...finite)
  return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`
}

function tieLine(r: SearchResult, t: SearchTie): string {
  const why = t.identical ? 'the run predicts the same change for all of them on the signature genes' : `their ${r.rankBy} scores lie within ${r.tieTolerance}`
  return `tie at rank ${t.rank}: ${t.conditions.length} perturbations cannot be told apart (${why}), listed alphabetically: ${t.conditions.join(', ')}`
}

const pctOf = (k: Knockdown | null) => (k?.remaining == null ? null : `${Math.round((1 - k.remaining) * 100)} %`)

/** Per gene of the plan: the screen's guides, their cells and knockdown (per replicate), or why there are none. */
function planGuideLines(plan: GuidePlan): string[] {
  const gs = plan.guideSource
  const lines = [gs.guideColumn ? `Guides the screen used (column '${gs.guideColumn}'${gs.replicateColumn ? `, replicates ${gs.replicates.join(', ')}` : ''}); knockdown = 1 − the target's expression in the guide's cells / in control cells:` : `Guides: ${gs.note}`]
  const done = new Set<string>()
  for (const r of plan.rows) {
    for (const g of r.guides) {
      if (done.has(g.gene)) continue
      done.add(g.gene)
      if (!g.targeted || !g.guides.length) {
        lines.push(`  ${g.gene}: ${g.note ?? 'no guide ids'}`)
        continue
      }
      const all = pctOf(g.knockdown)
      lines.push(`  ${g.gene}: ${g.guides.length} guide${g.guides.length === 1 ? '' : 's'}${all ? `, ${all} knockdown over all its cells` : ''}${g.note ? ` (${g.note})` : ''}`)
      for (const e of g.guides) {
        const reps = e.replicates.map((x) => `${x.replicate} ${pctOf(x) ?? '—'} (${x.cells})`).join(', ')
        lines.push(`    ${e.guide}: ${e.cells} cells${pctOf(e.knockdown) ? `, ${pctOf(e.knockdown)} knockdown` : ''}${reps ? `; ${reps}` : ''}`)
      }
    }
  }
  return lines
}

/** A pair's one call (src-shared/domain/gi-call.ts): the rule that decided it, the other criteria that hold, the ⚠ in words, and whether the measured call agrees. */
function pairCall(p: PairGi, t: GiThresholds) {
  const v = p.scores ? giVerdict(p.scores, t) : null
  const o = p.observed?.scores ? giVerdict(p.observed.scores, t) : null
  const c = v && o ? compareCalls(v, o) : null
  return { v, o, c, json: { rule: v?.rule ?? null, also: v?.secondary.map((x) => x.type) ?? [], warning: v?.warning ?? null, observedAgrees: c?.agree ?? null, ...(c && !c.agree ? { disagreement: c.text } : {}) } }
}

function pairJson(p: PairGi, t: GiThresholds) {
  return { condition: p.condition, genes: p.genes, seen: p.seen, type: p.call?.type ?? null, ...pairCall(p, t).json, criteria: p.call?.criteria ?? [], illDetermined: p.call?.illDetermined ?? null, scores: p.scores, uncertainty: p.uncertainty, observed: p.observed, ...(p.note ? { note: p.note } : {}) }
}

function mapHuman(map: GiMap, top: number): string {
  const byType = new Map<string, number>()
  for (const p of map.pairs) byType.set(p.call?.type ?? 'not scored', (byType.get(p.call?.type ?? 'not scored') ?? 0) + 1)
  const ranked = [...map.pairs].filter((p) => p.scores).sort((a, b) => b.scores!.mag - a.scores!.mag)
  // ⚠: the call rests on mag or dominance, which nearly collinear singles leave ill-determined; ≠: the measured call disagrees
  const t = map.settings.thresholds
  const row = (p: PairGi) => ({ pair: p.condition, type: `${p.call?.type ?? '—'}${pairCall(p, t).v?.warning ? ' ⚠' : ''}`, mag: fmt(p.scores?.mag), corr_fit: fmt(p.scores?.corr_fit), dcor_singles: fmt(p.scores?.dcor_singles), singles_cos: fmt(p.scores?.singles_cos), dominance: fmt(p.scores?.dominance), uncertainty: fmt(p.uncertainty), observed: `${pairCall(p, t).c?.agree === false ? '≠ ' : ''}${p.observed?.call?.type ?? ''}` })
  const cols = ['pair', 'type', 'mag', 'corr_fit', 'dcor_singles', 'singles_cos', 'dominance', 'uncertainty', 'observed']
  const ill = map.pairs.filter((p) => pairCall(p, t).v?.warning).length
  const disagree = map.pairs.filter((p) => pairCall(p, t).c?.agree === false).length
  return [
    `Pair map ${map.mapId}: ${map.pairCount.toLocaleString('en')} pairs of ${map.geneCount} genes (${map.origin}), run ${map.runId} (${map.model}), ${map.seconds} s`,
    `types: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}${map.excluded ? `; ${map.excluded} pairs with no seen gene left out` : ''}`,
    ...map.warnings.map((w) => `note: ${w}`),
    ...(ill ? [`⚠ ${ill} pairs: not reliable. Their predicted singles are nearly collinear (|singles_cos| > ${t.collinearSingles}), so mag, dominance and a call resting on them are ill-determined; treat those calls as unknown until the singles are measured.`] : []),
    ...(disagree ? [`≠ ${disagree} measured pairs: the call from the measured cells disagrees with the prediction (--json: disagreement).`] : []),
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
    .description('genetic-interaction scores (docs/ml-engine.md §9): every pair of a gene set predicted by a run (a pair map, stored), or the pairs a dataset measured (--observed)')
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
    .option('--csv <file>', 'write every pair with all scores and calls as CSV; its provenance goes beside it in <name>.provenance.txt', tableFileArg('csv'))
    .option('--xlsx <file>', 'write the same table as an Excel workbook, with a Provenance sheet', tableFileArg('xlsx'))
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
      xlsx?: string
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
        const ds = s.context.services.datasets.require(opts.dataset).summary
        if (opts.csv) files.push(write(s, opts.csv, await observedFile(obs, APP_VERSION, 'csv'), { projectId: ds.projectId }))
        if (opts.xlsx) files.push(write(s, opts.xlsx, await observedFile(obs, APP_VERSION, 'xlsx'), { projectId: ds.projectId }))
        const counts = new Map<string, number>()
        for (const p of obs.pairs) counts.set(p.call?.type ?? 'not scored', (counts.get(p.call?.type ?? 'not scored') ?? 0) + 1)
        s.out.result(
          { ...obs, files },
          [
            `Observed GI scores of dataset ${obs.datasetName} (#${obs.datasetId}): ${obs.pairs.length} pairs measured with both singles${obs.skipped.length ? `, ${obs.skipped.length} pairs skipped` : ''}`,
            `types: ${[...counts].map(([t, n]) => `${t} ${n}`).join(', ')}`,
            table(obs.pairs.slice(0, opts.top * 3).map((p) => ({ pair: p.condition, type: p.call?.type ?? '—', mag: fmt(p.scores?.mag), corr_fit: fmt(p.scores?.corr_fit), dcor_singles: fmt(p.scores?.dcor_singles), dominance: fmt(p.scores?.dominance) })), ['pair', 'type', 'mag', 'corr_fit', 'dcor_singles', 'dominance']),
            ...files.map(wrote),
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
          }).catch(askForYes)
        } finally {
          stop()
        }
      }
      const files = []
      const ids = { projectId: map.source.projectId, runId: map.runId }
      if (opts.csv) files.push(write(s, opts.csv, await mapTableFile(map, 'csv'), ids))
      if (opts.xlsx) files.push(write(s, opts.xlsx, await mapTableFile(map, 'xlsx'), ids))
      if (opts.png) files.push(write(s, opts.png, await heatmapFile(map, opts.score, opts.order, 'png'), ids))
      if (opts.svg) files.push(write(s, opts.svg, await heatmapFile(map, opts.score, opts.order, 'svg'), ids))
      const { pairs, singles, geneList: genes, source, ...rest } = map
      const out = opts.pairsOnly ? { mapId: map.mapId, pairs: pairs.map((p) => pairJson(p, map.settings.thresholds)), files } : { ...rest, source: { ...source, genes: undefined, controlMean: undefined }, genes, singles, pairs: pairs.map((p) => pairJson(p, map.settings.thresholds)), files }
      s.out.result(out, [mapHuman(map, opts.top), ...files.map(wrote)].join('\n'))
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
    .option('--tie-tolerance <x>', `candidates whose scores differ by no more than this tie: one shared rank, listed alphabetically (default ${GI_DEFAULTS.searchTieTolerance})`, number('--tie-tolerance'))
    .option('-y, --yes', 'go ahead with a large search (more than 6,000 pairs)')
    .action(async (opts: { run: number; signature: string; genes?: string[]; pathway?: string; pairs: boolean; rankBy: 'cosine' | 'pearson'; top: number; includePerturbed?: boolean; tieTolerance?: number; yes?: boolean }) => {
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
        const r = await s.call('design:search', { runId: opts.run, signature, genes: opts.genes, pathwayId: opts.pathway, pairs: opts.pairs, rankBy: opts.rankBy, top: opts.top, excludePerturbed: !opts.includePerturbed, tieTolerance: opts.tieTolerance, confirm: Boolean(opts.yes) }).catch(askForYes)
        const { source, ...rest } = r
        s.out.result(
          { ...rest, source: { ...source, genes: undefined, controlMean: undefined } },
          [
            `Run ${r.runId} (${source.model}): ${r.candidates.toLocaleString('en')} perturbations ranked by ${r.rankBy} on ${r.signatureGenes} signature genes${r.unmatchedCount ? ` (${r.unmatchedCount} not measured: ${r.unmatched.slice(0, 8).join(', ')}${r.unmatchedCount > 8 ? ', …' : ''})` : ''}, ${r.seconds} s`,
            table(searchRows(r), ['rank', 'perturbation', 'cosine', 'pearson', 'uncertainty', 'matches']),
            ...r.ties.map((t) => tieLine(r, t)),
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
    .option('--csv <file>', 'write the plan as CSV; its provenance goes beside it in <name>.provenance.txt', tableFileArg('csv'))
    .option('--xlsx <file>', 'write the plan as an Excel workbook, with a Provenance sheet', tableFileArg('xlsx'))
    .option('--top-genes <n>', 'predicted top changed genes per perturbation', positiveInt('--top-genes'), GI_DEFAULTS.planTopGenes)
    .action(async (opts: { run: number; items: string[]; map?: number; csv?: string; xlsx?: string; topGenes: number }) => {
      const s = session()
      const plan = await s.call('design:plan', { runId: opts.run, mapId: opts.map, items: opts.items, topGenes: opts.topGenes })
      const ids = { projectId: plan.source.projectId, runId: plan.runId }
      const files = []
      if (opts.csv) files.push(write(s, opts.csv, await guidePlanFile(plan, 'csv'), ids))
      if (opts.xlsx) files.push(write(s, opts.xlsx, await guidePlanFile(plan, 'xlsx'), ids))
      s.out.result(
        { ...plan, source: { ...plan.source, genes: undefined, controlMean: undefined }, files },
        [
          table(
            plan.rows.map((r) => ({ perturbation: r.condition, seen: r.genes.map((g) => (g.status !== 'unseen-in-knowledge' ? 'yes' : g.placedBy ? `no (${pct(g.placedBy.share)} GO)` : 'no')).join('/'), type: r.call?.type ?? '', mag: fmt(r.scores?.mag), uncertainty: fmt(r.uncertainty), top: r.topChanges.slice(0, 4).map((t) => t.gene).join(' ') })),
            ['perturbation', 'seen', 'type', 'mag', 'uncertainty', 'top'],
          ),
          '',
          ...planGuideLines(plan),
          ...files.map(wrote),
        ].join('\n'),
      )
    })
}
