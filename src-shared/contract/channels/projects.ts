import { z } from 'zod'
import { displayName, id } from '../names'
import type { Project, ProjectDetail } from '../types'
import { none, returns } from './define'

const projectId = z.object({ id: id('Project id') }).strict()

export const projectChannels = {
  'project:list': returns<Project[]>()(none),
  'project:get': returns<ProjectDetail>()(projectId),
  'project:create': returns<Project>()(z.object({ name: displayName('Project name') }).strict()),
  'project:rename': returns<Project>()(z.object({ id: id('Project id'), name: displayName('Project name') }).strict()),
  'project:delete': returns<{ deleted: number }>()(projectId),
} as const
