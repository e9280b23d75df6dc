/**
 * The diverging colour scale of a change vs control: blue (down) through white (no change) to red
 * (up), symmetric around 0 over ±`maxAbs`; values beyond are the end colours. The same scale
 * colours the pathway overlay's genes and draws its colour bar.
 */
import { figureColors } from './prediction-figure'

const WHITE: [number, number, number] = [255, 255, 255]
const hex = (h: string): [number, number, number] => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]
const UP = hex(figureColors.up)
const DOWN = hex(figureColors.down)
const toHex = (c: number[]) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`

/** The colour of `value` on a scale of ±maxAbs (maxAbs > 0). */
export function divergingColour(value: number, maxAbs: number): string {
  const t = Math.max(-1, Math.min(1, value / maxAbs))
  const end = t >= 0 ? UP : DOWN
  const a = Math.abs(t)
  return toHex(WHITE.map((w, i) => w + (end[i] - w) * a))
}

/** Dark text on light colours, white on the saturated ends. */
export function textOn(value: number, maxAbs: number): string {
  return Math.abs(value / maxAbs) > 0.55 ? '#ffffff' : '#1f2937'
}

/** CSS gradient of the whole scale, left = −maxAbs, right = +maxAbs. */
export function divergingGradient(): string {
  const stops = [-1, -0.5, 0, 0.5, 1].map((t, i) => `${divergingColour(t, 1)} ${i * 25}%`)
  return `linear-gradient(to right, ${stops.join(', ')})`
}

/** A round half-range for the bar's labels: maxAbs rounded up to 1, 2 or 5 × 10^k. */
export function niceMax(maxAbs: number): number {
  const m = Math.max(maxAbs, 1e-6)
  const p = 10 ** Math.floor(Math.log10(m))
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= m - 1e-12) return f * p
  return 10 * p
}
