import fs from 'node:fs'
import path from 'node:path'
import { packageRoot } from './paths'

/** The app version from package.json (one source of truth for exports and `app:info`). */
export const APP_VERSION: string = (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
