import { reactive, type Directive } from 'vue'
import { glossaryEntry, type GlossaryEntry } from '../../src-shared/domain/glossary'

/** The one hover explanation on screen (drawn by components/ExplainTip.vue, mounted by the shell). */
export const explainTip = reactive({
  entry: null as GlossaryEntry | null,
  /** viewport coordinates of the explained element's box */
  rect: { left: 0, top: 0, bottom: 0, width: 0 },
})

function show(el: HTMLElement) {
  const entry = glossaryEntry(el.dataset.explain ?? '')
  if (!entry) return
  const r = el.getBoundingClientRect()
  explainTip.entry = entry
  explainTip.rect = { left: r.left, top: r.top, bottom: r.bottom, width: r.width }
  el.setAttribute('aria-describedby', 'explain-tip')
}

function hide(el: HTMLElement) {
  // Only the tip this element opened (moving onto the next term may already have replaced it).
  if (explainTip.entry && explainTip.entry.term === glossaryEntry(el.dataset.explain ?? '')?.term) explainTip.entry = null
  el.removeAttribute('aria-describedby')
}

type Bound = HTMLElement & { _explain?: { enter: () => void; leave: () => void } }

/**
 * `v-explain="'mse_de'"`: hovering or focusing the element shows the glossary's one-line
 * explanation of the term (src-shared/domain/glossary.ts) beside it. The element gets a dotted
 * underline and, when it is not focusable itself, a tab stop so keyboards reach it too.
 */
export const vExplain: Directive<HTMLElement, string> = {
  mounted(el: Bound, binding) {
    el.dataset.explain = binding.value
    el.classList.add('explained')
    const focusable = /^(A|BUTTON|INPUT|SELECT|TEXTAREA|SUMMARY)$/.test(el.tagName) || el.hasAttribute('tabindex')
    if (!focusable) el.tabIndex = 0
    const enter = () => show(el)
    const leave = () => hide(el)
    el._explain = { enter, leave }
    el.addEventListener('mouseenter', enter)
    el.addEventListener('focus', enter)
    el.addEventListener('mouseleave', leave)
    el.addEventListener('blur', leave)
  },
  updated(el, binding) {
    el.dataset.explain = binding.value
  },
  beforeUnmount(el: Bound) {
    if (el._explain) {
      hide(el)
      el.removeEventListener('mouseenter', el._explain.enter)
      el.removeEventListener('focus', el._explain.enter)
      el.removeEventListener('mouseleave', el._explain.leave)
      el.removeEventListener('blur', el._explain.leave)
    }
  },
}
