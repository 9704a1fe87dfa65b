// What an operator types into a Write or Create input, as the JSON value the API expects for the
// resource's LwM2M type (the API encodes it for the device).

/** The typed value of a text input for a resource type, or an error message. */
export function parseTyped(type: string, text: string): { value: unknown } | { error: string } {
  const t = text.trim()
  switch (type) {
    case 'integer':
    case 'unsigned':
      if (!/^-?\d+$/.test(t) || (type === 'unsigned' && t.startsWith('-'))) return { error: `${type === 'unsigned' ? 'a whole number ≥ 0' : 'a whole number'} is needed` }
      // The value goes as a JSON number: past 2^53 it would be rounded, and another value written.
      if (!Number.isSafeInteger(Number(t))) return { error: `a whole number between ${type === 'unsigned' ? 0 : -Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} is needed (${t} is too large to send exactly)` }
      return { value: Number(t) }
    case 'float':
      // Decimal only: Number() would also take "0x10" (16) or "" (0).
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || !Number.isFinite(Number(t))) return { error: 'a number is needed' }
      return { value: Number(t) }
    case 'boolean':
      if (t !== 'true' && t !== 'false') return { error: 'true or false is needed' }
      return { value: t === 'true' }
    case 'time': {
      const d = new Date(t)
      if (t === '' || Number.isNaN(d.getTime())) return { error: 'a date and time is needed' }
      return { value: Math.floor(d.getTime() / 1000) }
    }
    case 'opaque':
      if (!/^([0-9a-fA-F]{2})*$/.test(t)) return { error: 'hex bytes are needed (e.g. 0a1b)' }
      return { value: t.toLowerCase() }
    case 'objlnk':
      // Each half is a 16-bit LwM2M id (65535:65535 is the null link).
      if (!/^\d{1,5}:\d{1,5}$/.test(t) || t.split(':').some((id) => Number(id) > 65535)) return { error: 'an object link OBJECT:INSTANCE is needed (e.g. 3:0)' }
      return { value: t }
    default:
      return { value: text }
  }
}
