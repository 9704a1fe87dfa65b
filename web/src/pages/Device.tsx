import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, clientPath, describeError } from '../api.js'
import { Plot, type Sample } from '../components/Plot.js'
import { deviceErrorMessage } from '../deviceError.js'
import { useEvents } from '../events.js'
import { eventValues, formatData, formatTime, toDate } from '../format.js'
import { linkClick } from '../router.js'
import type { Session } from '../session.js'
import { parseTyped } from '../typedValue.js'

// One device in the style of the Leshan demo UI's client page: the object tree from the
// registration's links and the server's object models, each resource with its name, type, unit
// and operations, its latest value and time (live), a small plot of its recent numeric values,
// and the LwM2M operations on every node for the roles that may operate devices.

interface ResourceModel {
  id: number
  name: string
  type: string
  operations: 'R' | 'W' | 'RW' | 'E' | 'NONE'
  multiple: boolean
  mandatory: boolean
  units?: string
}
interface ObjectModel {
  id: number
  name: string
  multiple: boolean
  resources: ResourceModel[]
}
interface Registration {
  endpoint: string
  registeredAt?: string
  lastUpdate?: string
  lwm2mVersion?: string
  binding?: string
  lifetime?: number
  objectLinks?: string[]
}
interface Kept {
  value: unknown
  time: number
  history: Sample[]
}

const HISTORY = 60
const NUMERIC = new Set(['integer', 'unsigned', 'float'])
const ATTRIBUTES = ['pmin', 'pmax', 'gt', 'lt', 'st'] as const

/** Object and instance ids from the registration's links ("/3", "/3/0"). */
function tree(links: readonly string[]): Map<number, number[]> {
  const out = new Map<number, number[]>()
  for (const l of links) {
    const [o, i] = l.split('/').filter(Boolean).map(Number)
    if (o === undefined || !Number.isInteger(o)) continue
    const list = out.get(o) ?? []
    if (i !== undefined && Number.isInteger(i) && !list.includes(i)) list.push(i)
    out.set(o, list)
  }
  for (const l of out.values()) l.sort((a, b) => a - b)
  return new Map([...out].sort((a, b) => a[0] - b[0]))
}

/** /devices/{endpoint}: the device's objects, resources, values and operations. */
export function DevicePage({ session, endpoint }: { session: Session; endpoint: string }) {
  const token = session.token
  const canOperate = session.role !== 'user'
  const [reg, setReg] = useState<Registration>()
  const [gone, setGone] = useState<string>()
  const [models, setModels] = useState<Map<number, ObjectModel>>(new Map())
  const [values, setValues] = useState<Record<string, Kept>>({})
  const [observing, setObserving] = useState<Set<string>>(new Set())
  const [messages, setMessages] = useState<Record<string, { text: string; error?: boolean }>>({})
  const [busy, setBusy] = useState<string>()
  /** The object shown (Leshan's layout: the object list on the left, one object's instances on the right). */
  const [selected, setSelected] = useState<number>()

  const load = async (): Promise<void> => {
    try {
      const r = await api<Registration>('GET', `/clients/${encodeURIComponent(endpoint)}`, { token })
      setReg(r)
      setGone(undefined)
      const ids = [...tree(r.objectLinks ?? []).keys()]
      if (ids.length > 0) {
        const m = await api<{ objects: ObjectModel[] }>('GET', `/models?ids=${ids.join(',')}`, { token })
        setModels(new Map(m.objects.map((o) => [o.id, o])))
      }
      const askedAt = Date.now()
      const v = await api<{ values: Record<string, { value: unknown; time: string; history?: Array<{ time: string; value: number }> }> }>('GET', `/clients/${encodeURIComponent(endpoint)}/values`, { token })
      const kept: Record<string, Kept> = {}
      for (const [path, x] of Object.entries(v.values)) {
        kept[path] = { value: x.value, time: toDate(x.time)?.getTime() ?? Date.now(), history: (x.history ?? []).map((s) => ({ time: toDate(s.time)?.getTime() ?? 0, value: s.value })) }
      }
      // A value that came live while this answer was on its way is newer than the answer: keep it
      // (seen: a notification of 28 overwritten by the 27.5 of a load that crossed it).
      setValues((old) => {
        const next = { ...kept }
        for (const [path, live] of Object.entries(old)) {
          if (live.time < askedAt) continue
          const fresh = live.history.filter((s) => s.time >= askedAt)
          next[path] = { ...live, history: [...(kept[path]?.history ?? []), ...fresh].slice(-HISTORY) }
        }
        return next
      })
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setGone(`${endpoint} is not registered at this server right now.`)
      else setGone(describeError(err))
    }
  }
  useEffect(() => {
    void load()
  }, [endpoint])

  const merge = (flat: Record<string, unknown>, at = Date.now()): void => {
    setValues((old) => {
      const next = { ...old }
      for (const [path, value] of Object.entries(flat)) {
        const prev = next[path]
        const history = prev ? prev.history : []
        next[path] = { value, time: at, history: typeof value === 'number' ? [...history, { time: at, value }].slice(-HISTORY) : history }
      }
      return next
    })
  }

  useEvents((e) => {
    const d = (e.data ?? {}) as { endpoint?: string; registration?: { endpoint?: string }; values?: unknown }
    const ep = d.endpoint ?? d.registration?.endpoint
    if (e.type === 'reset') void load()
    if (ep !== endpoint) return
    if ((e.type === 'notification' || e.type === 'send') && d.values) merge(eventValues(d.values))
    else if (e.type === 'registration' || e.type === 'update') void load()
    else if (e.type === 'deregistration') {
      setGone(`${endpoint} de-registered.`)
      setObserving(new Set())
    }
  })

  const say = (path: string, text: string, error = false): void => setMessages((m) => ({ ...m, [path]: { text, error } }))
  /** Runs one operation on `path`, showing its outcome beside the node. */
  const op = async (path: string, what: string, fn: () => Promise<string | void>): Promise<void> => {
    setBusy(`${what} ${path}`)
    say(path, `${what}…`)
    try {
      say(path, (await fn()) ?? `${what}: done.`)
    } catch (err) {
      say(path, `${what} failed: ${deviceErrorMessage(err)}`, true)
    } finally {
      setBusy(undefined)
    }
  }
  const url = (path: string): string => clientPath(endpoint, path)
  const read = (path: string) =>
    op(path, 'Read', async () => {
      const r = await api<{ values: Record<string, unknown>; code: string }>('GET', url(path), { token })
      merge(r.values)
      return `Read: ${r.code} Content.`
    })
  const observe = (path: string) =>
    op(path, 'Observe', async () => {
      const r = await api<{ values: Record<string, unknown>; active: boolean }>('POST', `${url(path)}/observe`, { token })
      merge(r.values)
      if (!r.active) return 'Observe: the device answered but keeps no observation.'
      setObserving((s) => new Set(s).add(path))
      return 'Observing: new values appear as the device sends them.'
    })
  const cancel = (path: string) =>
    op(path, 'Cancel observation', async () => {
      await api('DELETE', `${url(path)}/observe`, { token })
      setObserving((s) => {
        const n = new Set(s)
        n.delete(path)
        return n
      })
      return 'Observation cancelled.'
    })
  const discover = (path: string) =>
    op(path, 'Discover', async () => {
      const r = await api<{ linkFormat: string }>('GET', `${url(path)}/discover`, { token })
      return `Discover: ${r.linkFormat || '(no links)'}`
    })
  const write = (path: string, type: string, text: string) => {
    const parsed = parseTyped(type, text)
    if ('error' in parsed) {
      say(path, `Write: ${parsed.error}.`, true)
      return
    }
    void op(path, 'Write', async () => {
      await api('PUT', url(path), { token, body: { [path]: parsed.value } })
      merge({ [path]: parsed.value })
      return `Written: ${formatData(parsed.value)}.`
    })
  }
  const execute = (path: string, args: string) =>
    op(path, 'Execute', async () => {
      const res = await fetch(`/api${url(path)}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(args && { 'content-type': 'text/plain' }) }, ...(args && { body: args }) })
      if (!res.ok) {
        const b = (await res.json().catch(() => ({}))) as { error?: string; message?: string }
        throw new ApiError(res.status, b.error ?? String(res.status), b.message ?? res.statusText)
      }
      return 'Executed.'
    })
  const writeAttributes = (path: string, attrs: Record<string, string>) => {
    const body: Record<string, number | null> = {}
    for (const [k, v] of Object.entries(attrs)) {
      if (v.trim() === '') continue
      if (v.trim() === '-') body[k] = null
      else if (Number.isFinite(Number(v))) body[k] = Number(v)
      else {
        say(path, `Write-Attributes: ${k} must be a number (or - to remove it).`, true)
        return
      }
    }
    if (Object.keys(body).length === 0) {
      say(path, 'Write-Attributes: give at least one attribute.', true)
      return
    }
    void op(path, 'Write-Attributes', async () => {
      await api('PUT', `${url(path)}/attributes`, { token, body })
      return `Attributes written: ${Object.entries(body).map(([k, v]) => `${k}=${v ?? '(removed)'}`).join(', ')}.`
    })
  }
  const remove = (path: string) =>
    op(path, 'Delete', async () => {
      await api('DELETE', url(path), { token })
      void load()
      return 'Instance deleted.'
    })
  const create = (objectId: number, instanceId: number, flat: Record<string, unknown>) =>
    op(`/${objectId}`, 'Create', async () => {
      const r = await api<{ location?: string }>('POST', url(`/${objectId}`), { token, body: flat })
      void load()
      return `Created ${r.location ? r.location : `/${objectId}/${instanceId}`}.`
    })

  const objects = tree(reg?.objectLinks ?? [])
  // Default: the temperature sensor when there is one (what operators look at first), else the first object.
  const shown = selected !== undefined && objects.has(selected) ? selected : objects.has(3303) ? 3303 : [...objects.keys()][0]
  const ops = { canOperate, busy, observing, messages, values, read, observe, cancel, discover, write, execute, writeAttributes, remove }
  return (
    <section aria-labelledby="device-title" class="device">
      <p class="crumbs">
        <a href="/devices" onClick={linkClick}>
          Devices
        </a>{' '}
        / {endpoint}
      </p>
      <h1 id="device-title">{endpoint}</h1>
      {gone && (
        <p role="alert" class="error">
          {gone}
        </p>
      )}
      {reg && (
        <dl class="facts">
          <div>
            <dt>Registered</dt>
            <dd>{formatTime(reg.registeredAt)}</dd>
          </div>
          <div>
            <dt>Last update</dt>
            <dd>{formatTime(reg.lastUpdate)}</dd>
          </div>
          <div>
            <dt>LwM2M</dt>
            <dd>{reg.lwm2mVersion ?? '—'}</dd>
          </div>
          <div>
            <dt>Binding</dt>
            <dd>{reg.binding ?? '—'}</dd>
          </div>
          <div>
            <dt>Lifetime</dt>
            <dd>{reg.lifetime !== undefined ? `${reg.lifetime} s` : '—'}</dd>
          </div>
        </dl>
      )}
      {!canOperate && <p class="hint">Your role ({session.role}) shows values as they arrive; reading or changing the device needs the admin or application role.</p>}
      {objects.size > 0 && (
        <div class="device-layout">
          <nav aria-label="Objects" class="object-list">
            <ul>
              {[...objects].map(([objectId, instances]) => (
                <li key={objectId}>
                  <button type="button" class="object-link" aria-current={objectId === shown ? 'true' : undefined} onClick={() => setSelected(objectId)}>
                    <span class="name">{models.get(objectId)?.name ?? `Object ${objectId}`}</span> <span class="id">/{objectId}</span>
                    <span class="count">{instances.length === 1 ? '1 instance' : `${instances.length} instances`}</span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          {shown !== undefined && <ObjectNode key={shown} objectId={shown} instances={objects.get(shown)!} model={models.get(shown)} create={create} {...ops} />}
        </div>
      )}
    </section>
  )
}

interface Ops {
  canOperate: boolean
  busy?: string
  observing: Set<string>
  messages: Record<string, { text: string; error?: boolean }>
  values: Record<string, Kept>
  read(path: string): Promise<void>
  observe(path: string): Promise<void>
  cancel(path: string): Promise<void>
  discover(path: string): Promise<void>
  write(path: string, type: string, text: string): void
  execute(path: string, args: string): Promise<void>
  writeAttributes(path: string, attrs: Record<string, string>): void
  remove(path: string): Promise<void>
}

/**
 * Read, Observe/Cancel, Discover and Write-Attributes of one node. Discover and Write-Attributes
 * apply to any node, a write-only or executable resource too (its attributes, its dim); Read and
 * Observe only to what can be read.
 */
function NodeActions({ path, label, o, readable = true }: { path: string; label: string; o: Ops; readable?: boolean }) {
  const [attrs, setAttrs] = useState<Record<string, string> | undefined>()
  if (!o.canOperate) return null
  const observed = o.observing.has(path)
  const busy = o.busy !== undefined
  return (
    <>
      {readable && (
        <button type="button" class="small" disabled={busy} onClick={() => void o.read(path)} aria-label={`Read ${label}`}>
          Read
        </button>
      )}
      {!readable ? null : observed ? (
        <button type="button" class="small secondary" disabled={busy} onClick={() => void o.cancel(path)} aria-label={`Cancel observation of ${label}`}>
          Cancel observe
        </button>
      ) : (
        <button type="button" class="small secondary" disabled={busy} onClick={() => void o.observe(path)} aria-label={`Observe ${label}`}>
          Observe
        </button>
      )}
      <button type="button" class="small secondary" disabled={busy} onClick={() => void o.discover(path)} aria-label={`Discover ${label}`}>
        Discover
      </button>
      <button type="button" class="small secondary" aria-expanded={attrs !== undefined} onClick={() => setAttrs(attrs ? undefined : {})} aria-label={`Write attributes of ${label}`}>
        Attributes
      </button>
      {attrs && (
        <form
          class="inline attrs"
          onSubmit={(e) => {
            e.preventDefault()
            o.writeAttributes(path, attrs)
          }}
        >
          {ATTRIBUTES.map((a) => (
            <span key={a}>
              <label for={`attr-${path}-${a}`}>{a}</label>
              <input id={`attr-${path}-${a}`} class="tiny" inputMode="decimal" value={attrs[a] ?? ''} onInput={(e) => setAttrs({ ...attrs, [a]: e.currentTarget.value })} />
            </span>
          ))}
          <button type="submit" class="small" disabled={busy}>
            Write attributes
          </button>
        </form>
      )}
    </>
  )
}

function Outcome({ path, o }: { path: string; o: Ops }) {
  const m = o.messages[path]
  if (!m) return null
  return (
    <p class={m.error ? 'outcome error' : 'outcome'} role={m.error ? 'alert' : 'status'} data-path={path}>
      {m.text}
    </p>
  )
}

function ObjectNode({ objectId, instances, model, create, ...o }: Ops & { objectId: number; instances: number[]; model?: ObjectModel; create(objectId: number, instanceId: number, flat: Record<string, unknown>): Promise<void> }) {
  const path = `/${objectId}`
  const name = model?.name ?? `Object ${objectId}`
  const [creating, setCreating] = useState(false)
  return (
    <section class="object card" aria-labelledby={`obj-${objectId}`} data-object={objectId}>
      <header>
        <h2 id={`obj-${objectId}`}>
          {name} <span class="id">{path}</span>
        </h2>
        <div class="node-actions">
          <NodeActions path={path} label={`${name} ${path}`} o={o} />
          {o.canOperate && model && (model.multiple || instances.length === 0) && (
            <button type="button" class="small secondary" aria-expanded={creating} onClick={() => setCreating(!creating)} aria-label={`Create an instance of ${name}`}>
              Create
            </button>
          )}
        </div>
      </header>
      <Outcome path={path} o={o} />
      {creating && model && (
        <CreateForm
          model={model}
          next={instances.length ? Math.max(...instances) + 1 : 0}
          onCreate={(id, flat) => {
            setCreating(false)
            void create(objectId, id, flat)
          }}
        />
      )}
      {!model && <p class="hint">This server has no model of object {objectId}: its resources are not named here.</p>}
      {instances.map((i) => (
        <InstanceNode key={i} objectId={objectId} instanceId={i} model={model} {...o} />
      ))}
    </section>
  )
}

function InstanceNode({ objectId, instanceId, model, ...o }: Ops & { objectId: number; instanceId: number; model?: ObjectModel }) {
  const path = `/${objectId}/${instanceId}`
  const [confirm, setConfirm] = useState(false)
  return (
    <div class="instance" data-instance={path}>
      <h3>
        Instance {instanceId} <span class="id">{path}</span>
      </h3>
      <div class="node-actions">
        <NodeActions path={path} label={`instance ${path}`} o={o} />
        {o.canOperate &&
          (confirm ? (
            <>
              <button type="button" class="small danger" onClick={() => (setConfirm(false), void o.remove(path))} aria-label={`Confirm delete of ${path}`}>
                Confirm delete
              </button>
              <button type="button" class="small secondary" onClick={() => setConfirm(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" class="small danger" onClick={() => setConfirm(true)} aria-label={`Delete instance ${path}`}>
              Delete
            </button>
          ))}
      </div>
      <Outcome path={path} o={o} />
      {model && (
        <table class="resources">
          <caption class="sr-only">Resources of {path}</caption>
          <colgroup>
            <col class="c-id" />
            <col class="c-name" />
            <col class="c-type" />
            <col class="c-ops" />
            <col class="c-value" />
            <col class="c-actions" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col" class="num">ID</th>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
              <th scope="col">Ops</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span class="sr-only">Operations</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {model.resources.map((r) => (
              <ResourceRow key={r.id} path={`${path}/${r.id}`} r={r} {...o} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function ResourceRow({ path, r, ...o }: Ops & { path: string; r: ResourceModel }) {
  const [text, setText] = useState('')
  const kept = o.values[path]
  // Values of the resource's instances, for multiple resources (/o/i/r/ri).
  const parts = Object.entries(o.values).filter(([p]) => p.startsWith(`${path}/`))
  const readable = r.operations.includes('R')
  const writable = r.operations.includes('W')
  const executable = r.operations === 'E'
  const label = `${r.name} ${path}`
  const busy = o.busy !== undefined
  return (
    <tr data-path={path}>
      <td class="num">{r.id}</td>
      <th scope="row">
        {r.name}
        {r.multiple && <span class="hint"> (multiple)</span>}
        <Outcome path={path} o={o} />
      </th>
      <td>
        {r.type}
        {r.units && <span class="unit"> {r.units}</span>}
      </td>
      <td>
        <code>{r.operations}</code>
      </td>
      <td class="value">
        {kept ? (
          <>
            <span class="v">
              {r.type === 'time' && typeof kept.value === 'number' ? formatTime(kept.value) : formatData(kept.value)}
              {r.units && typeof kept.value === 'number' ? ` ${r.units}` : ''}
            </span>
            <span class="at"> {formatTime(kept.time)}</span>
          </>
        ) : parts.length > 0 ? (
          parts.map(([p, v]) => (
            <div key={p}>
              <code>{p.slice(path.length + 1)}</code>: {formatData(v.value)}
            </div>
          ))
        ) : (
          '—'
        )}
        {kept && NUMERIC.has(r.type) && <Plot samples={kept.history} label={label} {...(r.units && { unit: r.units })} />}
      </td>
      <td class="ops">
        <NodeActions path={path} label={label} o={o} readable={readable} />
        {o.canOperate && writable && (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault()
              o.write(path, r.type, text)
            }}
          >
            <TypedInput id={`w-${path}`} type={r.type} value={text} onValue={setText} label={`New value of ${label}`} />
            <button type="submit" class="small" disabled={busy}>
              Write
            </button>
          </form>
        )}
        {o.canOperate && executable && (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault()
              void o.execute(path, text)
            }}
          >
            <label class="sr-only" for={`x-${path}`}>
              Arguments for {label}
            </label>
            <input id={`x-${path}`} class="short" placeholder="arguments" value={text} onInput={(e) => setText(e.currentTarget.value)} />
            <button type="submit" class="small" disabled={busy} aria-label={`Execute ${label}`}>
              Execute
            </button>
          </form>
        )}
      </td>
    </tr>
  )
}

/** An input fit for a resource type: a number field, true/false, a date and time, or text. */
function TypedInput({ id, type, value, onValue, label }: { id: string; type: string; value: string; onValue(v: string): void; label?: string }) {
  // Without `label` the input is named by its <label for>.
  const common = { id, value, ...(label !== undefined && { 'aria-label': label }) }
  if (type === 'boolean') {
    return (
      <select {...common} class="short" onChange={(e) => onValue(e.currentTarget.value)}>
        <option value="">—</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    )
  }
  if (type === 'integer' || type === 'unsigned' || type === 'float') {
    return <input {...common} class="short" type="number" step={type === 'float' ? 'any' : '1'} {...(type === 'unsigned' && { min: 0 })} onInput={(e) => onValue(e.currentTarget.value)} />
  }
  if (type === 'time') return <input {...common} class="short" type="datetime-local" step="1" onInput={(e) => onValue(e.currentTarget.value)} />
  const placeholder = type === 'opaque' ? 'hex bytes' : type === 'objlnk' ? 'object:instance' : ''
  return <input {...common} class="short" placeholder={placeholder} onInput={(e) => onValue(e.currentTarget.value)} />
}

/** Create: an instance id and the writable resources of the model, typed. */
function CreateForm({ model, next, onCreate }: { model: ObjectModel; next: number; onCreate(id: number, flat: Record<string, unknown>): void }) {
  const [id, setId] = useState(String(next))
  const [texts, setTexts] = useState<Record<number, string>>({})
  const [error, setError] = useState<string>()
  // A Create may carry any single resource of the new instance (read-only ones included: the
  // device sets its initial state from them), so all but executable and multiple ones are offered.
  const writable = model.resources.filter((r) => r.operations !== 'E' && r.operations !== 'NONE' && !r.multiple)
  return (
    <form
      class="create"
      onSubmit={(e) => {
        e.preventDefault()
        if (!/^\d{1,5}$/.test(id.trim())) return setError('The instance id must be a whole number.')
        const flat: Record<string, unknown> = {}
        for (const r of writable) {
          const t = texts[r.id]
          if (t === undefined || t.trim() === '') {
            if (r.mandatory) return setError(`${r.name} is mandatory.`)
            continue
          }
          const p = parseTyped(r.type, t)
          if ('error' in p) return setError(`${r.name}: ${p.error}.`)
          flat[`/${model.id}/${id.trim()}/${r.id}`] = p.value
        }
        // The API names the new instance by the paths of its values: at least one is needed.
        if (Object.keys(flat).length === 0) return setError('Give at least one resource value of the new instance.')
        setError(undefined)
        onCreate(Number(id.trim()), flat)
      }}
    >
      <h3>New instance of {model.name}</h3>
      <label for={`create-${model.id}-id`}>Instance id</label>
      <input id={`create-${model.id}-id`} class="short" type="number" min={0} value={id} onInput={(e) => setId(e.currentTarget.value)} />
      {writable.map((r) => (
        <div key={r.id}>
          <label for={`create-${model.id}-${r.id}`}>
            {r.name} ({r.type}
            {r.mandatory ? ', mandatory' : ''})
          </label>
          <TypedInput id={`create-${model.id}-${r.id}`} type={r.type} value={texts[r.id] ?? ''} onValue={(v) => setTexts({ ...texts, [r.id]: v })} />
        </div>
      ))}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <button type="submit" class="small">
        Create instance
      </button>
    </form>
  )
}
