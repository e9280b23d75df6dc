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
    current.value = name
    if (location.hash !== `#/${name}`) history.pushState(null, '', `#/${name}`)
  }

  return { current, go }
})
