/**
 * Headless chart rendering for exports: an ECharts option (the same one the screens draw, from
 * src-shared/charts) → SVG through ECharts' server-side renderer → PNG through resvg at 2× pixel
 * ratio on white. Text needs a font on the machine: resvg loads the system fonts and prefers
 * DejaVu Sans / Liberation Sans (Debian: fonts-dejavu-core); without any font the shapes still
 * render but the text does not, so the font used is reported with the image.
 */
import fs from 'node:fs'
import type { EChartsOption } from 'echarts'

export interface RenderSize {
  /** CSS pixels of the figure (the PNG has pixelRatio × these) */
  width: number
  height: number
}

export const DEFAULT_FIGURE_SIZE: RenderSize = { width: 1000, height: 600 }

export interface RenderedPng {
  png: Buffer
  width: number
  height: number
  /** the font family preferred for text, or null when none of the usual ones is installed (system fonts only) */
  font: string | null
}

const FONT_CANDIDATES: [family: string, file: string][] = [
  ['DejaVu Sans', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
  ['Liberation Sans', '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'],
  ['Arial', '/System/Library/Fonts/Supplemental/Arial.ttf'],
  ['Arial', 'C:\\Windows\\Fonts\\arial.ttf'],
]

let fontChoice: { family: string; file: string } | null | undefined

function preferredFont(): { family: string; file: string } | null {
  if (fontChoice === undefined) {
    const hit = FONT_CANDIDATES.find(([, file]) => fs.existsSync(file))
    fontChoice = hit ? { family: hit[0], file: hit[1] } : null
  }
  return fontChoice
}

// ECharts is loaded on first use: the full build is large and most sessions never export.
let echartsModule: Promise<typeof import('echarts')> | undefined

export async function renderChartSvg(option: EChartsOption, size: RenderSize = DEFAULT_FIGURE_SIZE): Promise<string> {
  const echarts = await (echartsModule ??= import('echarts'))
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height })
  try {
    const font = preferredFont()
    chart.setOption({ ...option, animation: false, ...(font ? { textStyle: { fontFamily: `${font.family}, sans-serif`, ...(option.textStyle as object | undefined) } } : {}) })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

export async function svgToPng(svg: string, pixelRatio = 2): Promise<RenderedPng> {
  const { Resvg } = await import('@resvg/resvg-js')
  const font = preferredFont()
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: pixelRatio },
    background: '#ffffff',
    font: { loadSystemFonts: true, ...(font ? { fontFiles: [font.file], defaultFontFamily: font.family, sansSerifFamily: font.family } : {}) },
  })
  const image = resvg.render()
  return { png: image.asPng(), width: image.width, height: image.height, font: font?.family ?? null }
}

export async function renderChartPng(option: EChartsOption, size: RenderSize = DEFAULT_FIGURE_SIZE, pixelRatio = 2): Promise<RenderedPng> {
  return svgToPng(await renderChartSvg(option, size), pixelRatio)
}
