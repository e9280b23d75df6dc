#!/usr/bin/env node
// The perturb-studio command. Runs the TypeScript sources (bundled on first use, see
// load-entry.js) so it works right after `npm install`, with no build step.
import { loadEntry } from './load-entry.js'

await loadEntry('src-main/cli/index.ts')
