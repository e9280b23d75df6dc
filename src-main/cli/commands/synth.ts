import fs from 'node:fs'
import path from 'node:path'
import { Option } from 'commander'
import { AppError } from '../../../src-shared/contract'
import { packageRoot, resolveHome, resolveKnowledgeSources } from '../../runtime/paths'
import { scanSources } from '../../services/knowledge/sources'
import { SYNTHETIC_PRESETS, type Modality, type SyntheticPreset } from '../../synthetic/types'
import { synthesizeToFile } from '../../synthetic/write'
import type { CommandRegistrar } from '../context'

interface SynthOpts {
  preset: SyntheticPreset
  seed: string
  out: string
  knowledge?: string
  modality?: Modality
  scale?: string
}

/**
 * The knowledge folder: --knowledge, else $PERTURB_STUDIO_KNOWLEDGE, else <home>/knowledge-sources
 * when it holds the files, else (in a development checkout) ../shared/knowledge beside the repo.
 */
function knowledgeFolder(home: string, explicit?: string): string {
  const folder = resolveKnowledgeSources(home, explicit)
  if (explicit || process.env.PERTURB_STUDIO_KNOWLEDGE) return folder
  const hasFiles = (dir: string) => scanSources(dir).slots.every((s) => s.found !== null)
  if (hasFiles(folder)) return folder
  const dev = path.resolve(packageRoot(), '..', 'shared', 'knowledge')
  return fs.existsSync(dev) && hasFiles(dev) ? dev : folder
}

export const registerSynthCommand: CommandRegistrar = (program, session) => {
  program
    .command('synth')
    .description('generate a synthetic Perturb-seq screen with known ground truth, as a GEARS-layout .h5ad of raw counts')
    .addOption(new Option('--preset <name>', 'size of the screen').choices(SYNTHETIC_PRESETS as string[]).default('small'))
    .option('--seed <n>', 'random seed (same seed, same data)', '1')
    .requiredOption('--out <file>', 'the .h5ad file to write')
    .option('--knowledge <dir>', 'knowledge folder with the Reactome and NCBI files (default: $PERTURB_STUDIO_KNOWLEDGE, else <home>/knowledge-sources, else ../shared/knowledge beside the app)')
    .addOption(new Option('--modality <m>', 'CRISPR modality (default: CRISPRa for norman-like, CRISPRi for small and replogle-like)').choices(['CRISPRa', 'CRISPRi']))
    .option('--scale <f>', 'a smaller screen of the same kind: perturbations and control cells × f (0 < f ≤ 1; the gene panel and cells per perturbation stay)')
    .action(async (opts: SynthOpts) => {
      const s = session()
      if (!/^\d+$/.test(opts.seed) || !Number.isSafeInteger(Number(opts.seed))) throw new AppError('cli.invalid-option', `--seed must be a whole number ≥ 0 (got ${opts.seed}).`)
      const scale = opts.scale === undefined ? undefined : Number(opts.scale)
      if (scale !== undefined && !(scale > 0 && scale <= 1)) throw new AppError('cli.invalid-option', `--scale must be a number in (0, 1] (got ${opts.scale}).`)
      const home = resolveHome(s.globals.home)
      let last = ''
      const result = await synthesizeToFile({
        preset: opts.preset,
        seed: Number(opts.seed),
        out: opts.out,
        knowledgeFolder: knowledgeFolder(home, opts.knowledge),
        modality: opts.modality,
        scale,
        onProgress: (f, message) => {
          if (message === last) return
          last = message
          s.out.info(`[${String(Math.round(f * 100)).padStart(3)}%] ${message}`)
        },
      })
      s.out.result(
        result,
        `Wrote ${result.out}: ${result.cells} cells × ${result.genes} genes, ${result.singles} singles, ${result.combos} pairs, ${result.controlCells} control cells (${result.seconds} s)`,
      )
    })
}
