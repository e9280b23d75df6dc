import { ref } from 'vue'
import { errorMessage } from '../api/client'

/**
 * The busy flag and error message of a screen's actions: `run(work)` clears the last error,
 * marks the screen busy, and turns a failure into the message the screen shows (answering
 * `undefined`), so every action reports its failure the same way.
 */
export function useAction() {
  const busy = ref(false)
  const error = ref<string | null>(null)

  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    error.value = null
    busy.value = true
    try {
      return await work()
    } catch (err) {
      error.value = errorMessage(err)
      return undefined
    } finally {
      busy.value = false
    }
  }

  /** Like `run`, without marking the screen busy (background refreshes). */
  async function quietly<T>(work: () => Promise<T>): Promise<T | undefined> {
    error.value = null
    try {
      return await work()
    } catch (err) {
      error.value = errorMessage(err)
      return undefined
    }
  }

  return { busy, error, run, quietly }
}

/**
 * Only the newest of overlapping requests may answer: `const take = latest(); … const mine = take();
 * … if (!mine()) return`. Typing in a search box or changing a setting quickly starts several.
 */
export function latest() {
  let seq = 0
  return () => {
    const mine = ++seq
    return () => mine === seq
  }
}
