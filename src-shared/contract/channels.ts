import type { z } from 'zod'
import { appChannels } from './channels/app'
import { datasetChannels, jobChannels } from './channels/datasets'
import { projectChannels } from './channels/projects'
import { knowledgeChannels } from './channels/knowledge'
import { backendChannels, runChannels, trainingChannels } from './channels/training'
import { predictChannels, predictionChannels } from './channels/predictions'
import { exportChannels } from './channels/exports'
import { designChannels } from './channels/design'
import { enrichmentChannels } from './channels/enrichment'
import { cellsChannels } from './channels/cells'

/**
 * The one map of the IPC contract: channel → input schema (zod) + output type, assembled from
 * one file per area under `channels/`. The router validates against `input`; the preload and
 * the browser client are typed from it.
 */
export const channels = {
  ...appChannels,
  ...projectChannels,
  ...datasetChannels,
  ...jobChannels,
  ...knowledgeChannels,
  ...trainingChannels,
  ...runChannels,
  ...backendChannels,
  ...predictChannels,
  ...predictionChannels,
  ...exportChannels,
  ...designChannels,
  ...enrichmentChannels,
  ...cellsChannels,
} as const

export type * from './channels/knowledge'
export * from './channels/training'
export * from './channels/predictions'
export * from './channels/exports'
export * from './channels/design'
export * from './channels/enrichment'
export * from './channels/cells'

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
