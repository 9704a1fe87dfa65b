import { useEffect, useRef, useState } from 'preact/hooks'
import { api, describeError } from '../api.js'
import { saveSession, type Session } from '../session.js'

/** The sign-in form: username (or e-mail) and password → POST /api/login → JWT in sessionStorage. */
export function LoginPage({ onLogin, notice }: { onLogin: (s: Session) => void; notice?: string }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const first = useRef<HTMLInputElement>(null)
  // The autofocus attribute is not honoured for elements rendered after load everywhere.
  useEffect(() => first.current?.focus(), [])

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const { token } = await api<{ token: string }>('POST', '/login', { body: { username, password } })
      const s = saveSession(token)
      if (!s) throw new Error('The server answered with a token this console cannot read')
      onLogin(s)
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to lwchain</h1>
        {notice && <p class="notice">{notice}</p>}
        <label for="login-username">Username or e-mail</label>
        <input ref={first} id="login-username" name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
