import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { CopyButton } from '../components/CopyButton.js'
import { Message } from '../components/Message.js'
import { WritesOff } from '../components/WritesOff.js'
import { Pager } from '../components/Pager.js'
import { pageQuery, usePagedList, type PageBody } from '../paged.js'
import type { Session } from '../session.js'

interface User {
  username: string
  role: string | number
  roleName?: string
  /** Bumped by every change on chain. */
  version?: number
}

const ROLES = ['admin', 'user', 'application'] as const

/** Admin: accounts — list, add (a generated password is shown once), update role and e-mail, remove. */
export function UsersPage({ session, writesOff }: { session: Session; writesOff?: string }) {
  // Write controls only once the server said it can write (GET /api/me): it needs a writer key.
  const canWrite = writesOff === ''
  const [form, setForm] = useState({ username: '', email: '', role: 'user', password: '' })
  const [generated, setGenerated] = useState<{ username: string; password: string }>()
  const [editing, setEditing] = useState<string>()
  const [edit, setEdit] = useState({ email: '', role: 'user' })
  const [confirming, setConfirming] = useState<string>()
  const token = session.token

  const list = usePagedList<User>(async (o) => api<PageBody<User>>('GET', `/admin/users${pageQuery(o)}`, { token }))
  const { items: users, error, ok, busy, run } = list

  const add = (e: Event): void => {
    e.preventDefault()
    void run(async () => {
      const body: Record<string, string> = { username: form.username.trim(), email: form.email.trim(), role: form.role }
      if (form.password) body.password = form.password
      const r = await api<{ username?: string; password?: string }>('POST', '/admin/users', { token, body })
      if (r?.password) setGenerated({ username: body.username, password: r.password })
      setForm({ username: '', email: '', role: 'user', password: '' })
      return `User ${body.username} added.`
    })
  }
  const startEdit = (u: User): void => {
    setEditing(u.username)
    setEdit({ email: '', role: roleOf(u) })
  }
  const save = (e: Event): void => {
    e.preventDefault()
    const username = editing!
    void run(async () => {
      const body: Record<string, string> = { role: edit.role }
      if (edit.email.trim()) body.email = edit.email.trim()
      await api('PUT', `/admin/users/${encodeURIComponent(username)}`, { token, body })
      setEditing(undefined)
      return `User ${username} updated.`
    })
  }
  const remove = (username: string): void => {
    setConfirming(undefined)
    void run(async () => {
      await api('DELETE', `/admin/users/${encodeURIComponent(username)}`, { token })
      return `User ${username} removed.`
    })
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {writesOff ? <WritesOff reason={writesOff} /> : canWrite && (
      <form class="card" onSubmit={add} aria-labelledby="add-user-title">
        <h2 id="add-user-title">Add a user</h2>
        <div class="row">
          <div>
            <label for="user-username">Username</label>
            <input id="user-username" required value={form.username} onInput={(e) => setForm({ ...form, username: e.currentTarget.value })} />
          </div>
          <div>
            <label for="user-email">E-mail</label>
            <input id="user-email" type="email" required value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
          </div>
          <div>
            <label for="user-role">Role</label>
            <select id="user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="user-password">Password (empty: generate one)</label>
            <input id="user-password" type="password" autoComplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} />
          </div>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Working…' : 'Add user'}
        </button>
      </form>
      )}
      <Message error={error} ok={ok} />
      {generated && (
        <div class="card secret" role="region" aria-labelledby="pw-title">
          <h2 id="pw-title">Password of {generated.username}</h2>
          <p class="warn">Shown once: only a sealed verifier of it is kept.</p>
          <p>
            <code>{generated.password}</code> <CopyButton text={generated.password} label="password" />
          </p>
          <button type="button" onClick={() => setGenerated(undefined)}>
            I have saved it
          </button>
        </div>
      )}

      <h2>Accounts</h2>
      <p class="hint">E-mail addresses are sealed on chain and not shown; an admin can replace one.</p>
      <Pager list={list} noun="users" id="users" />
      {users === undefined ? (
        <p>Loading…</p>
      ) : (
        <table>
          <caption class="sr-only">Accounts</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col" class="num">Version</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) =>
              editing === u.username ? (
                <tr key={u.username} data-username={u.username}>
                  <th scope="row">{u.username}</th>
                  <td colSpan={3}>
                    <form class="inline" onSubmit={save} aria-label={`Edit ${u.username}`}>
                      <label for="edit-role">Role</label>
                      <select id="edit-role" value={edit.role} onChange={(e) => setEdit({ ...edit, role: e.currentTarget.value })}>
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                      <label for="edit-email">New e-mail (empty: keep)</label>
                      <input id="edit-email" type="email" value={edit.email} onInput={(e) => setEdit({ ...edit, email: e.currentTarget.value })} />
                      <button type="submit" disabled={busy}>
                        Save
                      </button>
                      <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
                        Cancel
                      </button>
                    </form>
                  </td>
                </tr>
              ) : (
                <tr key={u.username} data-username={u.username}>
                  <th scope="row">{u.username}</th>
                  <td>{roleOf(u)}</td>
                  <td class="num">{u.version ?? '—'}</td>
                  <td class="actions">
                    {!canWrite ? null : confirming === u.username ? (
                      <>
                        <button type="button" class="danger" onClick={() => remove(u.username)} disabled={busy}>
                          Confirm removal of {u.username}
                        </button>
                        <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <>
                        <button type="button" class="secondary" onClick={() => startEdit(u)} aria-label={`Edit ${u.username}`}>
                          Edit
                        </button>
                        <button type="button" class="danger" onClick={() => setConfirming(u.username)} disabled={u.username === session.username} aria-label={`Remove ${u.username}`}>
                          Remove
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </section>
  )
}

function roleOf(u: User): string {
  if (u.roleName) return u.roleName
  if (typeof u.role === 'number') return ROLES[u.role - 1] ?? String(u.role)
  return u.role
}
