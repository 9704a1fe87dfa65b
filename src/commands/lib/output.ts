import Table from 'cli-table3'

/** Serialises for `--json`: bigints as decimal strings, Uint8Arrays as 0x-hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`
    return v
  })
}

/** Writes one JSON document on stdout (nothing else goes there with --json). */
export function printJson(value: unknown): void {
  process.stdout.write(toJson(value) + '\n')
}

/** Renders a table for people. */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({ head, style: { head: [], border: [] } })
  for (const r of rows) table.push(r.map(String))
  return table.toString()
}

/** Renders `label: value` lines, aligned. */
export function renderFields(fields: [string, string | number | undefined][]): string {
  const width = Math.max(...fields.map(([k]) => k.length))
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${(k + ':').padEnd(width + 2)}${v}`)
    .join('\n')
}

/**
 * A PSK as plain lower-case hex, without 0x: the form openssl `-psk`, gnutls-cli `--pskkey` and
 * LwM2M tools take, and what `--bs-key` / `--server-key` accept back.
 */
export function keyHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
