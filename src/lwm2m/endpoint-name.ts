/**
 * The one rule for LwM2M endpoint client names, shared by `client add`, the REST API, the
 * bootstrap and server daemons and the simulator, so a name one of them accepts works in all.
 *
 * A device sends its name as `ep=NAME` in one CoAP Uri-Query option (RFC 7252 §5.10.1), whose
 * value is raw UTF-8 of at most 255 bytes: nothing is percent-encoded and `&`, `=`, `/`, `?` and
 * spaces travel as they are (each query parameter is its own option). With the 3 bytes of `ep=`,
 * a name is at most 252 bytes. LwM2M (Core §7.3.1) asks only for a unique name; control characters
 * are refused because they cannot be typed, logged or shown unambiguously.
 */

/** Longest endpoint name in UTF-8 bytes: a Uri-Query option holds 255 bytes, `ep=` takes 3. */
export const MAX_ENDPOINT_NAME_BYTES = 255 - 'ep='.length

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Why `name` is not a valid endpoint name, or undefined when it is. */
export function endpointNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'is empty'
  // argv and UTF-8 decoding turn bad bytes into U+FFFD: a mangled name is refused, not stored.
  if (name.includes('\uFFFD') || LONE_SURROGATE.test(name)) return 'is not valid UTF-8'
  if (CONTROL.test(name)) return 'contains a control character'
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_ENDPOINT_NAME_BYTES) {
    return `is ${bytes} bytes of UTF-8; at most ${MAX_ENDPOINT_NAME_BYTES} fit in a CoAP Uri-Query "ep=" option`
  }
  return undefined
}

/** Whether `name` is a valid endpoint name. */
export function isValidEndpointName(name: unknown): name is string {
  return endpointNameProblem(name) === undefined
}

/** The one-line message for an invalid name, e.g. `endpoint name "a\u0007" contains a control character`. */
export function describeEndpointNameProblem(name: unknown, problem: string): string {
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name) : String(name)
  return `endpoint name ${shown} ${problem}`
}

/** Throws `makeError(message)` for an invalid name; returns the name otherwise. */
export function checkEndpointName<E extends Error>(name: unknown, makeError: (message: string) => E): string {
  const problem = endpointNameProblem(name)
  if (problem !== undefined) throw makeError(describeEndpointNameProblem(name, problem))
  return name as string
}
