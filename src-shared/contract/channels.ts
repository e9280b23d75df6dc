import { z } from 'zod'
import { displayName, id } from './names'
import type { AppInfo, Project, ProjectDetail } from './types'

/**
 * The one map of the IPC contract: channel → input schema (zod) + output type.
 * The router validates against `input`; the preload and the browser client are typed from it.
 * `output` is a type-only marker: outputs come from our own services and are not re-parsed.
 * Curried so the output type is named while the input schema's type is inferred.
 */
const returns =
  <O>() =>
  <I extends z.ZodType>(input: I) => ({ input, output: undefined as unknown as O })

const none = z.object({}).strict()
const projectId = z.object({ id: id('Project id') }).strict()

export const channels = {
  'app:info': returns<AppInfo>()(none),

  'project:list': returns<Project[]>()(none),
  'project:get': returns<ProjectDetail>()(projectId),
  'project:create': returns<Project>()(z.object({ name: displayName('Project name') }).strict()),
  'project:rename': returns<Project>()(z.object({ id: id('Project id'), name: displayName('Project name') }).strict()),
  'project:delete': returns<{ deleted: number }>()(projectId),
} as const

export type Channels = typeof channels
export type ChannelName = keyof Channels
/** What a caller sends (before validation and transforms). */
export type ChannelInput<C extends ChannelName> = z.input<Channels[C]['input']>
/** What a handler receives (after validation and transforms, e.g. trimmed names). */
export type ChannelParsed<C extends ChannelName> = z.output<Channels[C]['input']>
export type ChannelOutput<C extends ChannelName> = Channels[C]['output']

export const channelNames = Object.keys(channels) as ChannelName[]

export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name)
}
