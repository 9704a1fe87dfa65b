import { useEffect, useState } from 'preact/hooks'

// History-API routing over a handful of pages; the server answers index.html for any non-API
// path (src/api/static.ts), so a direct URL or a reload lands on the right page.

const listeners = new Set<() => void>()

/** Goes to a console path and re-renders the app. */
export function navigate(path: string, o: { replace?: boolean } = {}): void {
  if (o.replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  for (const l of listeners) l()
}

/** The current pathname, updated on navigate() and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname)
  useEffect(() => {
    const update = (): void => setPath(location.pathname)
    listeners.add(update)
    addEventListener('popstate', update)
    return () => {
      listeners.delete(update)
      removeEventListener('popstate', update)
    }
  }, [])
  return path
}

/** Click handler for in-app links: plain clicks navigate in place, modified clicks open normally. */
export function linkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  e.preventDefault()
  navigate(a.pathname + a.search)
}
