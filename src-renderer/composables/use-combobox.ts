import { computed, ref, type Ref } from 'vue'

/**
 * Keyboard and open/close behaviour of a text box with a list of suggestions (WAI-ARIA
 * combobox): ↓/↑ move through the options, Enter picks the highlighted one, Escape closes, and
 * a click on an option lands before blur closes the list.
 */
export function useCombobox<T>(opts: {
  options: Ref<readonly T[]>
  pick: (option: T) => void
  /** Enter decides itself (e.g. "a typed combination goes in as typed"); the default picks the highlighted option */
  onEnter?: (highlighted: T | undefined) => void
  /** the listbox's id prefix for `aria-activedescendant` */
  idPrefix: string
}) {
  const open = ref(false)
  const active = ref(0)
  const highlighted = computed(() => (open.value ? opts.options.value[active.value] : undefined))
  const activeDescendant = computed(() => (open.value && opts.options.value[active.value] !== undefined ? `${opts.idPrefix}-${active.value}` : undefined))

  function onKey(e: KeyboardEvent) {
    const n = opts.options.value.length
    if (e.key === 'ArrowDown' && n) {
      if (open.value) active.value = (active.value + 1) % n
      else {
        open.value = true
        active.value = 0
      }
      e.preventDefault()
    } else if (e.key === 'ArrowUp' && n) {
      active.value = (active.value - 1 + n) % n
      e.preventDefault()
    } else if (e.key === 'Enter') {
      if (opts.onEnter) {
        e.preventDefault()
        opts.onEnter(highlighted.value)
      } else if (highlighted.value !== undefined) {
        e.preventDefault()
        choose(highlighted.value)
      }
    } else if (e.key === 'Escape') {
      open.value = false
    }
  }

  function choose(option: T) {
    open.value = false
    active.value = 0
    opts.pick(option)
  }

  /** New text: show the list from its top. */
  function reset(show = true) {
    open.value = show
    active.value = 0
  }

  function onBlur() {
    // Let a click on an option land before the list closes.
    setTimeout(() => (open.value = false), 150)
  }

  return { open, active, highlighted, activeDescendant, onKey, choose, reset, onBlur }
}
