import { GLOSSARY, glossaryEntry } from '../../../src-shared/domain/glossary'
import { AppError } from '../../../src-shared/contract'
import type { CommandRegistrar } from '../context'

/** `perturb-studio glossary [term]`: the same plain-word explanations the app shows on hover. */
export const registerGlossaryCommands: CommandRegistrar = (program, session) => {
  program
    .command('glossary')
    .description('what the metrics, options and flags mean, in plain words')
    .argument('[term]', 'one term, e.g. mse_de, split seed, knowledge_prior')
    .action(async (term: string | undefined) => {
      const s = session()
      if (term !== undefined) {
        const e = glossaryEntry(term)
        if (!e) {
          const near = GLOSSARY.filter((g) => g.term.includes(term.toLowerCase()) || g.plain.toLowerCase().includes(term.toLowerCase())).map((g) => g.term)
          throw new AppError('cli.unknown-term', `"${term}" is not in the glossary.${near.length ? ` Did you mean: ${near.slice(0, 5).join(', ')}?` : ' Run perturb-studio glossary for the whole list.'}`)
        }
        s.out.result(e, `${e.term} — ${e.plain}${e.better ? ` (${e.better} is better)` : ''}\n${e.short}${e.long ? `\n${e.long}` : ''}`)
        return
      }
      const width = Math.max(...GLOSSARY.map((e) => e.term.length))
      s.out.result(GLOSSARY, GLOSSARY.map((e) => `${e.term.padEnd(width)}  ${e.plain}: ${e.short}`).join('\n'))
    })
}
