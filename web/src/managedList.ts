import { useEffect, useState } from 'preact/hooks'
import { describeError } from './api.js'

/** A list an admin page shows and changes: loading, the outcome of the last action, busy state. */
export interface ManagedList<T> {
  items?: T[]
  error?: string
  ok?: string
  busy: boolean
  /** Runs an action (its result is the success message), then reloads the list. */
  run(what: () => Promise<string>): Promise<void>
}

/** Loads a list on mount and runs admin actions against it with one busy/error/ok state. */
export function useManagedList<T>(fetchList: () => Promise<T[]>): ManagedList<T> {
  const [items, setItems] = useState<T[]>()
  const [error, setError] = useState<string>()
  const [ok, setOk] = useState<string>()
  const [busy, setBusy] = useState(false)

  const load = async (): Promise<void> => {
    try {
      setItems(await fetchList())
    } catch (err) {
      setError(describeError(err))
    }
  }
  useEffect(() => {
    void load()
  }, [])

  const run = async (what: () => Promise<string>): Promise<void> => {
    setBusy(true)
    setError(undefined)
    setOk(undefined)
    try {
      setOk(await what())
      await load()
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }
  return { items, error, ok, busy, run }
}
