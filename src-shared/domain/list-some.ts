/** The first `max` names for a message, with `, …` when there are more: `A, B, C, …`. */
export function listSome(names: readonly string[], max: number): string {
  return `${names.slice(0, max).join(', ')}${names.length > max ? ', …' : ''}`
}
