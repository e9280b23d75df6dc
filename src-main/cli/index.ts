import { runCli } from './main'

// Entry when run as a program (bin/perturb-studio.js). Exit after output is flushed.
const code = await runCli(process.argv.slice(2))
process.exitCode = code
