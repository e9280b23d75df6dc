import { defineStore } from 'pinia'
import { ref } from 'vue'
import { isScreenName, type ScreenName } from './screens'

function fromHash(): ScreenName {
  const name = location.hash.replace(/^#\/?/, '')
  return isScreenName(name) ? name : 'projects'
}

/** Which screen is showing; mirrored in the URL hash so a reload keeps the place. */
export const useNavStore = defineStore('nav', () => {
  const current = ref<ScreenName>(fromHash())
  window.addEventListener('hashchange', () => (current.value = fromHash()))

  function go(name: ScreenName) {
    // A new screen opens at its top, not where the last one was scrolled to.
    if (current.value !== name) window.scrollTo({ top: 0 })
    current.value = name
    if (location.hash !== `#/${name}`) history.pushState(null, '', `#/${name}`)
  }

  return { current, go }
})
