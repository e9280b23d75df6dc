import { none, returns } from './define'
import type { AppInfo } from '../types'

export const appChannels = {
  'app:info': returns<AppInfo>()(none),
} as const
