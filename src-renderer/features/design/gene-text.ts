/** Splits typed or pasted genes as the core does (commas, spaces, semicolons, tabs or lines). */
export function splitGenes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((g) => g.trim())
    .filter((g) => g !== '')
}

/** The core's "please confirm" message without its instruction to API callers. */
export function confirmText(message: string): string {
  return message.replace(/\s*Send confirm: true \(CLI: --yes\) to [^.]*\.?$/, '').replace(/\s*Confirm to go ahead\.$/, '')
}
