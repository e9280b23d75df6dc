import { Command, CommanderError } from 'commander'
import { AppError } from '../../src-shared/contract'
import { APP_VERSION } from '../runtime/version'
import { CliSession, type GlobalOptions } from './context'
import { processIo, type CliIo } from './output'
import { registerDatasetCommands } from './commands/datasets'
import { registerProjectCommands } from './commands/project'
import { registerServeCommand } from './commands/serve'
import { registerSynthCommand } from './commands/synth'
import { registerKnowledgeCommands } from './commands/knowledge'
import { registerTrainingCommands } from './commands/training'
import { registerPredictCommand } from './commands/predict'
import { registerDesignCommands } from './commands/design'
import { registerGlossaryCommands } from './commands/glossary'
import { registerBenchCommand } from './commands/bench'
import { registerEnrichmentCommands } from './commands/enrichment'

/** Exit codes: 0 ok, 1 a command failed (bad input, not found…), 2 the command line itself was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

export function buildProgram(io: CliIo, getSession: () => CliSession): Command {
  const program = new Command('perturb-studio')
    .description('Perturb Studio: predict transcriptional responses to CRISPR perturbations, offline.')
    .version(APP_VERSION, '-v, --version')
    .option('--home <dir>', 'data folder (default: $PERTURB_STUDIO_HOME, else the OS app-data folder)')
    .option('--json', 'print exactly one JSON document on stdout')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
  registerProjectCommands(program, getSession)
  registerDatasetCommands(program, getSession)
  registerServeCommand(program, getSession)
  registerSynthCommand(program, getSession)
  registerKnowledgeCommands(program, getSession)
  registerTrainingCommands(program, getSession)
  registerPredictCommand(program, getSession)
  registerDesignCommands(program, getSession)
  registerBenchCommand(program, getSession)
  registerEnrichmentCommands(program, getSession)
  registerGlossaryCommands(program, getSession)
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
    for (const sub of c.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
  }
  return program
}

/** Runs the CLI on argv (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const jsonRequested = argv.includes('--json')
  let session: CliSession | undefined
  const getSession = () => {
    session ??= new CliSession(io, program.opts<GlobalOptions>())
    return session
  }
  const program = buildProgram(io, getSession)
  const fallback = new CliSession(io, { json: jsonRequested })
  try {
    if (argv.length === 0) {
      io.stdout(program.helpInformation())
      return EXIT.ok
    }
    await program.parseAsync(argv, { from: 'user' })
    return EXIT.ok
  } catch (err) {
    const out = (session ?? fallback).out
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok
      const message = err.message.replace(/^error: /, '')
      out.error('cli.usage', `${message[0].toUpperCase()}${message.slice(1)}. See: perturb-studio --help`)
      return EXIT.usage
    }
    if (err instanceof AppError) {
      out.error(err.code, err.message, err.details)
      return EXIT.failed
    }
    out.error('internal', (err as Error)?.message ?? String(err))
    if (!jsonRequested) io.stderr(`${(err as Error)?.stack ?? ''}\n`)
    return EXIT.failed
  } finally {
    session?.close()
  }
}
