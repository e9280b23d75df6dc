import { Option, type Command } from 'commander'
import { AppError } from '../../../src-shared/contract'
import type { KnowledgeBuildSummary, MaskLevelInput } from '../../../src-shared/contract/channels/knowledge'
import type { CliSession, CommandRegistrar } from '../context'
import { table } from '../output'

interface KnowledgeOpts {
  knowledge?: string
  release?: string
}

const knowledgeOption = () => new Option('--knowledge <dir>', 'knowledge folder with the Reactome and NCBI files (default: $PERTURB_STUDIO_KNOWLEDGE, else <home>/knowledge-sources)')
const releaseOption = () => new Option('--release <label>', 'knowledge release to use (default: the default release)')

/** Progress of a build (also an automatic first one) on stderr, one line per phase. */
function showProgress(s: CliSession): () => void {
  let last = ''
  return s.context.events.on('job:progress', (p) => {
    if (p.kind !== 'knowledge-build' || p.message === last) return
    last = p.message
    s.out.info(`[${String(Math.round(p.fraction * 100)).padStart(3)}%] ${p.message}`)
  })
}

/** Query commands: with --knowledge, build from that folder first when no release exists. */
async function prepare(s: CliSession, opts: KnowledgeOpts): Promise<() => void> {
  const stop = showProgress(s)
  if (opts.knowledge) await s.call('knowledge:ensure', { folder: opts.knowledge })
  return stop
}

function summaryText(r: KnowledgeBuildSummary): string {
  const lines = [
    `${r.reused ? 'Already built' : 'Built'} knowledge release ${r.release}${r.reused ? ' from these same files' : ` in ${r.seconds} s`}:`,
    `  ${r.pathways} pathways, ${r.relations} relations, ${r.roots} top-level; ${r.genesWithPathways} genes in gene sets`,
    `  ${r.goGenes} genes with GO terms (${r.goAnnotations} annotations, ${r.goTerms} terms), ${r.goEdges} GO graph edges`,
  ]
  for (const w of r.warnings) lines.push(`  note: ${w}`)
  return lines.join('\n')
}

function parseGenes(list: string): string[] {
  const genes = list
    .split(/[,\s]+/)
    .map((g) => g.trim())
    .filter(Boolean)
  if (genes.length === 0) throw new AppError('cli.invalid-option', '--genes needs a comma-separated list of gene symbols, e.g. --genes STAT1,IRF1,JAK1')
  return genes
}

export const registerKnowledgeCommands: CommandRegistrar = (program, session) => {
  const knowledge = program.command('knowledge').description('build, list and choose Reactome + GO knowledge releases')

  knowledge
    .command('build')
    .description('build a knowledge release from the Reactome and NCBI files in the knowledge folder')
    .addOption(knowledgeOption())
    .option('--release <label>', 'label for the release (default: derived from the files’ hashes)')
    .option('--force', 'rebuild even if the same release exists, or replace a release with this label')
    .option('--no-default', 'do not make the new release the default')
    .action(async (opts: KnowledgeOpts & { force?: boolean; default: boolean }) => {
      const s = session()
      const stop = showProgress(s)
      try {
        const r = await s.call('knowledge:build', { folder: opts.knowledge, release: opts.release, force: opts.force, setDefault: opts.default })
        s.out.result(r, summaryText(r))
      } finally {
        stop()
      }
    })

  knowledge
    .command('list')
    .description('list the built knowledge releases (* = default)')
    .action(async () => {
      const s = session()
      const list = await s.call('knowledge:list', {})
      const rows = list.map((r) => ({ default: r.isDefault ? '*' : '', release: r.release, builtAt: r.builtAt, pathways: r.pathways, goGenes: r.goGenes }))
      s.out.result(list, list.length ? table(rows, ['default', 'release', 'builtAt', 'pathways', 'goGenes']) : `No knowledge release yet.\n${(await s.call('knowledge:status', {})).help}`)
    })

  knowledge
    .command('status')
    .description('show the knowledge folder, the files found there and the releases')
    .action(async () => {
      const s = session()
      const st = await s.call('knowledge:status', {})
      const files = st.sourceFiles.map((f) => `  ${f.expected.padEnd(30)} ${f.found ?? '(missing)'}`).join('\n')
      const head = st.ready ? `Default knowledge release: ${st.defaultRelease} (${st.releases.length} built)` : 'No knowledge release built yet.'
      s.out.result(st, `${head}\nKnowledge folder: ${st.sourceFolder}\n${files}${st.ready ? '' : `\n\n${st.help}`}`)
    })

  knowledge
    .command('default')
    .description('make a release the default')
    .argument('<release>', 'release label')
    .action(async (release: string) => {
      const s = session()
      const st = await s.call('knowledge:set-default', { release })
      s.out.result(st, `Default knowledge release: ${st.defaultRelease}`)
    })

  knowledge
    .command('delete')
    .description('delete a release')
    .argument('<release>', 'release label')
    .action(async (release: string) => {
      const s = session()
      const r = await s.call('knowledge:delete', { release })
      s.out.result(r, `Deleted knowledge release ${r.deleted}`)
    })

  knowledge
    .command('use')
    .description("pin a project's knowledge release (or --follow-default)")
    .argument('<project>', 'project id or exact name')
    .argument('[release]', 'release label')
    .option('--follow-default', 'unpin: the project uses the default release')
    .action(async (ref: string, release: string | undefined, opts: { followDefault?: boolean }) => {
      const s = session()
      const { id } = s.context.services.projects.resolve(ref)
      if (!release && !opts.followDefault) throw new AppError('cli.invalid-option', 'Give a release label, or --follow-default to follow the default release.')
      const r = await s.call('knowledge:set-project-release', { projectId: id, release: opts.followDefault ? null : release! })
      s.out.result(r, `Project ${id} uses knowledge release ${r.effective ?? '(none built)'}${r.release ? ' (pinned)' : ' (the default)'}`)
    })

  knowledge
    .command('search')
    .description('find genes (symbols, aliases, Ensembl ids) and pathways by name or id')
    .argument('<text>', 'what to look for')
    .option('--limit <n>', 'at most this many of each', '20')
    .addOption(releaseOption())
    .addOption(knowledgeOption())
    .action(async (text: string, opts: KnowledgeOpts & { limit: string }) => {
      const s = session()
      const stop = await prepare(s, opts)
      const r = await s.call('knowledge:search', { query: text, limit: Number(opts.limit), release: opts.release })
      stop()
      s.out.result(r, `Genes:\n${table(r.genes as unknown as Record<string, unknown>[], ['symbol', 'via', 'matched', 'pathwayCount', 'description'])}\n\nPathways:\n${table(r.pathways as unknown as Record<string, unknown>[], ['id', 'name', 'depth', 'geneCount'])}`)
    })

  addQueryCommands(program, session)
}

function addQueryCommands(program: Command, session: () => CliSession): void {
  program
    .command('pathways')
    .description('every Reactome pathway containing a gene, with depth (0 = top-level), level (1 = lowest) and ancestors')
    // Not a required option: commander would then demand it of the `pathways enrich` subcommand too.
    .option('--gene <symbol>', 'gene symbol, alias or Ensembl id')
    .addOption(releaseOption())
    .addOption(knowledgeOption())
    .action(async function (this: Command, opts: KnowledgeOpts & { gene?: string }) {
      if (!opts.gene) this.error("error: required option '--gene <symbol>' not specified", { code: 'commander.missingMandatoryOptionValue', exitCode: 2 })
      const s = session()
      const stop = await prepare(s, opts)
      const list = await s.call('knowledge:gene-pathways', { gene: opts.gene, release: opts.release })
      stop()
      s.out.result(list, table(list.map((p) => ({ level: `L${p.level}`, depth: p.depth, id: p.id, name: p.name })), ['level', 'depth', 'id', 'name']))
    })

  program
    .command('pathway')
    .description('a pathway: parents, sub-pathways, its own genes and all genes with its descendants')
    .argument('<id>', 'Reactome stable id, e.g. R-HSA-168256')
    .addOption(releaseOption())
    .addOption(knowledgeOption())
    .action(async (id: string, opts: KnowledgeOpts) => {
      const s = session()
      const stop = await prepare(s, opts)
      const p = await s.call('knowledge:pathway', { id, release: opts.release })
      stop()
      const named = (ids: string[]) => (ids.length ? ids.map((x) => `${x} ${p.names[x]}`).join('\n    ') : '(none)')
      s.out.result(
        p,
        [
          `${p.id}  ${p.name}  (depth ${p.depth})`,
          `  parents:\n    ${named(p.parents)}`,
          `  sub-pathways:\n    ${named(p.children)}`,
          `  genes (${p.genes.length}): ${p.genes.slice(0, 100).join(' ')}${p.genes.length > 100 ? ` … (all with --json)` : ''}`,
          `  all genes with descendants: ${p.allGenes.length}`,
        ].join('\n'),
      )
    })

  program
    .command('go-neighbours')
    .description("a gene's top 20 GO partners by Jaccard index of GO-term sets")
    .argument('<symbol>', 'gene symbol, alias or Ensembl id')
    .addOption(releaseOption())
    .addOption(knowledgeOption())
    .action(async (gene: string, opts: KnowledgeOpts) => {
      const s = session()
      const stop = await prepare(s, opts)
      const list = await s.call('knowledge:go-neighbours', { gene, release: opts.release })
      stop()
      s.out.result(list, table(list.map((n) => ({ gene: n.gene, jaccard: n.jaccard.toFixed(4) })), ['gene', 'jaccard']))
    })

  program
    .command('mask')
    .description('the attention mask for a gene list: allowed pairs (shared L1 pathway), density, genes without pathway')
    .option('--genes <list>', 'comma-separated gene symbols (aliases and Ensembl ids are resolved)')
    .option('--dataset <id>', 'use a dataset’s measured genes')
    .option('--max-genes <n>', 'instead of L1: genes may attend when they share a pathway with at most this many genes')
    .option('--no-pairs', 'leave the pair list out (counts only)')
    .addOption(releaseOption())
    .addOption(knowledgeOption())
    .action(async (opts: KnowledgeOpts & { genes?: string; dataset?: string; maxGenes?: string; pairs: boolean }) => {
      const s = session()
      if (opts.dataset !== undefined && !/^\d+$/.test(opts.dataset)) throw new AppError('cli.invalid-option', `--dataset takes a dataset id (see: perturb-studio dataset list), got "${opts.dataset}".`)
      if (!opts.genes && opts.dataset === undefined) throw new AppError('cli.invalid-option', 'Give the genes with --genes A,B,C or a dataset with --dataset ID.')
      // A dataset's mask is over its measured genes, in the order the models use.
      const genes = opts.dataset !== undefined ? (await s.call('dataset:genes', { id: Number(opts.dataset) })).genes : parseGenes(opts.genes!)
      let level: MaskLevelInput = { kind: 'l1' }
      if (opts.maxGenes !== undefined) {
        const n = Number(opts.maxGenes)
        if (!Number.isInteger(n) || n < 1) throw new AppError('cli.invalid-option', `--max-genes must be a positive whole number, got "${opts.maxGenes}".`)
        level = { kind: 'max-genes', maxGenes: n }
      }
      const stop = await prepare(s, opts)
      const m = await s.call('knowledge:mask', { genes, level, includePairs: opts.pairs, release: opts.release })
      stop()
      const lines = [
        `${m.genes.length} genes, ${m.pairCount} pairs, density ${(m.density * 100).toFixed(2)} % (self-attention included), level ${level.kind === 'l1' ? 'L1' : `pathways ≤ ${level.maxGenes} genes`}`,
        `without pathway (${m.genesWithoutPathway.length}): ${m.genesWithoutPathway.join(' ') || '(none)'}`,
        ...m.renamed.map((r) => `renamed ${r.from} → ${r.to}`),
      ]
      if (m.pairs) lines.push(...m.pairs.slice(0, 50).map(([i, j]) => `  ${m.genes[i]} – ${m.genes[j]}`), ...(m.pairs.length > 50 ? [`  … ${m.pairs.length - 50} more (use --json)`] : []))
      s.out.result(m, lines.join('\n'))
    })
}
