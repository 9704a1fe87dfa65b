import type { PeerAddress } from '../../transport/types.js'
import type { RegisteredObject } from '../link.js'

/** LwM2M enabler versions the server registers clients with. */
export type RegistrationVersion = '1.0' | '1.1' | '1.2'

/** One registered client (Leshan's Registration), as the registration store keeps it. */
export interface Registration {
  /** Random registration id; the client's location is `/rd/{id}`. */
  readonly id: string
  readonly endpoint: string
  /** The PSK identity the DTLS session authenticated (undefined over plain UDP). */
  readonly identity?: string
  /** Where the client's session is: requests to the device go there. */
  readonly peer: PeerAddress
  readonly lwm2mVersion: RegistrationVersion
  /** Seconds. */
  readonly lifetime: number
  readonly binding: string
  readonly smsNumber?: string
  readonly queueMode?: boolean
  /** Alternate root path ("/" when none). */
  readonly rootPath: string
  readonly objectLinks: readonly RegisteredObject[]
  /** Content formats the client announced (`ct=` on its root entry). */
  readonly contentFormats?: readonly number[]
  /** Epoch milliseconds. */
  readonly registeredAt: number
  readonly lastUpdate: number
  readonly expiresAt: number
}

/** `/rd/{id}`: the location path of a registration. */
export function registrationLocation(reg: Pick<Registration, 'id'>): string {
  return `/rd/${reg.id}`
}

/** The instance ids of an object the client registered, in the order it gave them. */
export function registeredInstances(reg: Pick<Registration, 'objectLinks'>, objectId: number): number[] {
  const ids: number[] = []
  for (const o of reg.objectLinks) {
    if (o.objectId === objectId && o.instanceId !== undefined && !ids.includes(o.instanceId)) ids.push(o.instanceId)
  }
  return ids
}
