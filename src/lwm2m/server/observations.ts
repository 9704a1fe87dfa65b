/** One observation the server holds on a client. */
export interface ServerObservation {
  readonly id: string
  readonly endpoint: string
  readonly registrationId: string
  /** LwM2M path text, e.g. "/3303/0/5700". */
  readonly path: string
  readonly cancel: () => Promise<void>
}

/** Which observations the server holds, by endpoint, so a deregistration can forget them all. */
export interface ObservationRegistry {
  add(o: Omit<ServerObservation, 'id'>): ServerObservation
  /** Removes one observation (it was cancelled); returns it. */
  remove(id: string): ServerObservation | undefined
  byEndpoint(endpoint: string): ServerObservation[]
  /** Removes and returns every observation of an endpoint (the caller cancels them). */
  forget(endpoint: string): ServerObservation[]
  readonly size: number
}

/** Creates an in-memory ObservationRegistry. */
export function createObservationRegistry(): ObservationRegistry {
  const all = new Map<string, ServerObservation>()
  let next = 1
  return {
    add(o) {
      const obs = { ...o, id: String(next++) }
      all.set(obs.id, obs)
      return obs
    },
    remove(id) {
      const obs = all.get(id)
      all.delete(id)
      return obs
    },
    byEndpoint: (endpoint) => [...all.values()].filter((o) => o.endpoint === endpoint),
    forget(endpoint) {
      const gone = [...all.values()].filter((o) => o.endpoint === endpoint)
      for (const o of gone) all.delete(o.id)
      return gone
    },
    get size() {
      return all.size
    },
  }
}
