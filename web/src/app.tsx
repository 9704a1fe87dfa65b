import { useEffect, useRef, useState } from 'preact/hooks'
import { api, setUnauthorizedHandler } from './api.js'
import { connectEvents, disconnectEvents } from './events.js'
import { AdminDevicesPage } from './pages/AdminDevices.js'
import { AnomaliesPage } from './pages/Anomalies.js'
import { DevicePage } from './pages/Device.js'
import { DevicesPage } from './pages/Devices.js'
import { LoginPage } from './pages/Login.js'
import { UsersPage } from './pages/Users.js'
import { linkClick, navigate, usePath } from './router.js'
import { clearSession, loadSession, type Session } from './session.js'

interface NavItem {
  path: string
  label: string
  admin?: boolean
}

const NAV: NavItem[] = [
  { path: '/devices', label: 'Devices' },
  { path: '/anomalies', label: 'Anomalies' },
  { path: '/admin/devices', label: 'Manage devices', admin: true },
  { path: '/admin/users', label: 'Users', admin: true },
]

/** The console: login until there is a session, then the navigation and the current page. */
export function App() {
  const path = usePath()
  const [session, setSession] = useState<Session | undefined>(() => loadSession())
  const [notice, setNotice] = useState<string>()
  const [live, setLive] = useState(false)
  // Whether device and user management can write on this server (it needs a writer key), from GET
  // /api/me: '' when it can, the reason when not, undefined until known. The admin pages show
  // their lists either way and their write controls only when it can.
  const [writesOff, setWritesOff] = useState<string>()
  const main = useRef<HTMLElement>(null)
  const firstPath = useRef(path)
  // After an in-app navigation, move focus to the new page so keyboard and screen-reader users start there.
  useEffect(() => {
    if (path !== firstPath.current) main.current?.focus()
  }, [path])

  const logout = (why?: string): void => {
    clearSession()
    disconnectEvents()
    setLive(false)
    setSession(undefined)
    setNotice(why)
    navigate('/login', { replace: true })
  }

  // The server says whether it can write devices and accounts; without its writer key the admin pages are hidden.
  useEffect(() => {
    setWritesOff(undefined)
    if (session?.role !== 'admin') return
    api<{ adminWrites: boolean; adminWritesOff?: string }>('GET', '/me', { token: session.token })
      .then((me) => setWritesOff(me.adminWrites ? '' : me.adminWritesOff ?? 'device and user management is off on this server'))
      // Unknown: show the pages; the API still refuses what it cannot do.
      .catch(() => setWritesOff(''))
  }, [session])

  // Log out when the token expires, and whenever the API says it no longer accepts it.
  useEffect(() => {
    if (!session) return
    setUnauthorizedHandler(() => logout('Your session ended; please sign in again.'))
    const timer = setTimeout(() => logout('Your session expired; please sign in again.'), Math.max(0, session.expiresAt - Date.now()))
    // A refused stream usually means a refused token: any API call then says so (401 signs out).
    connectEvents(session.token, setLive, () => void api('GET', '/clients', { token: session.token }).catch(() => {}))
    return () => {
      clearTimeout(timer)
      setUnauthorizedHandler(undefined)
    }
  }, [session])

  if (!session) {
    return (
      <LoginPage
        notice={notice}
        onLogin={(s) => {
          setNotice(undefined)
          setSession(s)
          if (path === '/' || path === '/login') navigate('/devices', { replace: true })
        }}
      />
    )
  }
  if (path === '/' || path === '/login') {
    queueMicrotask(() => navigate('/devices', { replace: true }))
    return null
  }
  const isAdmin = session.role === 'admin'
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">lwchain</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || isAdmin).map((n) => (
              <li key={n.path}>
                <a href={n.path} onClick={linkClick} aria-current={path === n.path || path.startsWith(`${n.path}/`) && n.path === '/devices' ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          <span class={live ? 'dot on' : 'dot'} title={live ? 'live updates connected' : 'live updates disconnected'} aria-hidden="true" />
          <span class="sr-only">{live ? 'Live updates connected.' : 'Live updates disconnected.'}</span>
          {session.username} ({session.role})
          <button type="button" class="secondary" onClick={() => logout('You signed out.')}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <Page path={path} session={session} writesOff={writesOff} />
      </main>
    </>
  )
}

function Page({ path, session, writesOff }: { path: string; session: Session; writesOff?: string }) {
  const isAdmin = session.role === 'admin'
  if (path.startsWith('/admin/') && !isAdmin) {
    return (
      <section aria-labelledby="refused">
        <h1 id="refused">Not allowed</h1>
        <p role="alert" class="error">
          This page is for administrators. Your account ({session.username}, role {session.role}) cannot manage devices or users.
        </p>
        <p>
          <a href="/devices" onClick={linkClick}>
            Back to devices
          </a>
        </p>
      </section>
    )
  }
  if (path.startsWith('/devices/') && path.length > '/devices/'.length) {
    let endpoint: string
    try {
      endpoint = decodeURIComponent(path.slice('/devices/'.length))
    } catch {
      endpoint = path.slice('/devices/'.length)
    }
    return <DevicePage key={endpoint} session={session} endpoint={endpoint} />
  }
  switch (path) {
    case '/devices':
      return <DevicesPage session={session} />
    case '/anomalies':
      return <AnomaliesPage session={session} />
    case '/admin/devices':
      return <AdminDevicesPage session={session} writesOff={writesOff} />
    case '/admin/users':
      return <UsersPage session={session} writesOff={writesOff} />
    default:
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            <a href="/devices" onClick={linkClick}>
              Back to devices
            </a>
          </p>
        </section>
      )
  }
}
