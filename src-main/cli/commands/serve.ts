import { InvalidArgumentError } from 'commander'
import { AppError } from '../../../src-shared/contract'
import { packageRoot, rendererDir } from '../../runtime/paths'
import { openBrowser } from '../../server/open-browser'
import { ensureRendererBuilt } from '../../server/renderer-build'
import { startServer } from '../../server/http-server'
import type { CommandRegistrar } from '../context'

/** A bad --port is a usage error (exit 2), caught while the options are parsed. */
function portNumber(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) > 65535) throw new InvalidArgumentError(`--port must be a whole number between 0 and 65535, got "${v}".`)
  return Number(v)
}

export const registerServeCommand: CommandRegistrar = (program, session) => {
  program
    .command('serve')
    .description('browser mode: serve the app on 127.0.0.1 with a one-time token')
    .option('--port <n>', 'port to listen on (default: a random free port)', portNumber)
    .option('--open', 'open the URL in the default browser when one is available')
    .action(async (opts: { port?: number; open?: boolean }) => {
      const s = session()
      s.transport = 'browser'
      const port = opts.port ?? 0
      // A folder named by PERTURB_STUDIO_RENDERER_DIR is someone else's build: served as it is.
      if (!process.env.PERTURB_STUDIO_RENDERER_DIR) {
        const ui = await ensureRendererBuilt(packageRoot(), rendererDir(), { info: (line) => s.out.info(line) }).catch((err: Error) => {
          throw new AppError('server.ui-not-built', err.message)
        })
        if (ui.warning) s.out.info(ui.warning)
      }
      const server = await startServer({ context: s.context, rendererDir: rendererDir(), port }).catch((err: NodeJS.ErrnoException) => {
        throw new AppError('server.listen-failed', `Cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}. Choose another --port or omit it.`)
      })
      s.out.result(
        { url: server.url, port: server.port, home: s.context.home },
        `Perturb Studio (browser mode) is running. Open this URL in your browser:\n\n    ${server.url}\n\nData folder: ${s.context.home}\nPress Ctrl+C to stop.`,
      )
      if (opts.open) {
        const r = openBrowser(server.url)
        if (!r.opened) s.out.info(`Not opening a browser: ${r.reason}.`)
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await server.close()
    })
}
