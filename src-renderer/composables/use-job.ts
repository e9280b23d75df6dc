import { onBeforeUnmount, ref } from 'vue'
import { api } from '../api/client'

/**
 * Progress of one long request (import, knowledge build, demo, a pair map, a target search): a
 * client-chosen job id, the core's `job:progress` events for it, and cancel. `run(work)` begins
 * the job, hands its id to the request, and ends it however the request ends.
 *
 * `useJob()` in a component's setup stops listening when the component unmounts; `storeJob()` in a
 * store (whose jobs outlive the screen, so a map keeps its progress while the user looks
 * elsewhere) listens for the app's lifetime.
 */
export function useJob() {
  const job = createJob('job')
  onBeforeUnmount(job.unsubscribe)
  return job
}

export function storeJob(prefix: string) {
  return createJob(prefix)
}

function createJob(prefix: string) {
  const jobId = ref<string | null>(null)
  const fraction = ref(0)
  const message = ref('')
  const cancelling = ref(false)
  const unsubscribe = api.on('job:progress', (p) => {
    if (p.jobId !== jobId.value) return
    fraction.value = p.fraction
    message.value = p.message
  })

  function begin(): string {
    jobId.value = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    fraction.value = 0
    message.value = 'Starting…'
    cancelling.value = false
    return jobId.value
  }

  async function cancel() {
    if (!jobId.value) return
    cancelling.value = true
    message.value = 'Cancelling…'
    await api.call('job:cancel', { jobId: jobId.value })
  }

  function end() {
    jobId.value = null
    cancelling.value = false
  }

  async function run<T>(work: (jobId: string) => Promise<T>): Promise<T> {
    try {
      return await work(begin())
    } finally {
      end()
    }
  }

  return { jobId, fraction, message, cancelling, begin, cancel, end, run, unsubscribe }
}
