/** Splits typed or pasted genes as the core does (commas, spaces, semicolons, tabs or lines). */
export function splitGenes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((g) => g.trim())
    .filter((g) => g !== '')
}
