import type { ChainView } from '../../chain/view/createChainView.js'
import type { ClientView } from '../../chain/view/types.js'
import type { ClientSecurity, SecurityChange, SecurityStore } from '../../lwm2m/security-store.js'

/** Adapts the event-synced ChainView to the daemons' SecurityStore: every lookup from memory. */
export function chainSecurityStore(view: ChainView): SecurityStore {
  return {
    byEndpoint(endpoint) {
      const client = view.clientByEndpoint(endpoint)
      return client && clientSecurityOf(client)
    },
    byIdentity(identity, role) {
      const found = view.pskFor(identity, role)
      const client = found && view.clientByEndpoint(found.endpoint)
      return client && found ? { client: clientSecurityOf(client), key: found.key } : undefined
    },
    subscribe(listener: (change: SecurityChange) => void) {
      return view.subscribe((change) => {
        if (change.kind === 'client-added') listener({ kind: 'added', client: clientSecurityOf(change.client) })
        else if (change.kind === 'client-updated') {
          listener({
            kind: 'updated',
            client: clientSecurityOf(change.client),
            previous: change.previous && clientSecurityOf(change.previous),
          })
        } else if (change.kind === 'client-removed') listener({ kind: 'removed', previous: clientSecurityOf(change.previous) })
      })
    },
  }
}

/** The credentials part of a ChainView client, as the daemons use it. */
export function clientSecurityOf(client: ClientView): ClientSecurity {
  return { endpoint: client.endpoint, version: client.version, bootstrap: client.bootstrap, server: client.server }
}
