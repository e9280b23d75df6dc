import type { echarts } from '../charts/echarts'
import { saveBlob } from './download'

/**
 * Saves a chart as PNG at twice its on-screen pixels, on white (the screen's transparent
 * background turns black or checkered in many viewers).
 */
export function downloadChartPng(chart: echarts.ECharts, filename: string): void {
  const url = chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' })
  // Decoded here rather than fetched: the page's CSP does not allow connecting to data: URLs.
  const base64 = url.slice(url.indexOf(',') + 1)
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  saveBlob(new Blob([bytes], { type: 'image/png' }), filename.endsWith('.png') ? filename : `${filename}.png`)
}
