import type { CommandRegistrar } from '../context'
import { table } from '../output'

export const registerProjectCommands: CommandRegistrar = (program, session) => {
  const project = program.command('project').description('create, list, rename and delete projects')

  project
    .command('create')
    .description('create a project')
    .argument('<name>', 'project name (1–200 characters)')
    .action(async (name: string) => {
      const s = session()
      const p = await s.call('project:create', { name })
      s.out.result(p, `Created project ${p.id}: ${p.name}`)
    })

  project
    .command('list')
    .description('list projects, most recently changed first')
    .action(async () => {
      const s = session()
      const list = await s.call('project:list', {})
      s.out.result(list, table(list as unknown as Record<string, unknown>[], ['id', 'name', 'datasetCount', 'runCount', 'updatedAt']))
    })

  project
    .command('rename')
    .description('rename a project')
    .argument('<id>', 'project id or exact name')
    .argument('<name>', 'new name')
    .action(async (ref: string, name: string) => {
      const s = session()
      const { id } = s.context.services.projects.resolve(ref)
      const p = await s.call('project:rename', { id, name })
      s.out.result(p, `Renamed project ${p.id} to ${p.name}`)
    })

  project
    .command('delete')
    .description('delete a project with its datasets, runs and predictions')
    .argument('<id>', 'project id or exact name')
    .action(async (ref: string) => {
      const s = session()
      const { id } = s.context.services.projects.resolve(ref)
      const r = await s.call('project:delete', { id })
      s.out.result(r, `Deleted project ${r.deleted}`)
    })
}
