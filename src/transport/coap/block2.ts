/** Serving a whole response block by block (RFC 7959 Block2). */
import type { CoapOption } from './message.js'
import { OptionNumber as O, blockSize, encodeBlock, encodeUint } from './options.js'
import { payloadBytes } from './request.js'

/** A response ready to go out: code, options without Block2/Observe, whole payload. */
export interface Outgoing {
  readonly code: string
  readonly options: CoapOption[]
  readonly payload: Uint8Array
}

/** Block `num` of a whole response, with Block2 (and Size2 on the first block). */
export function sliceBlock2(out: Outgoing, num: number, szx: number): Outgoing {
  const size = blockSize(szx)
  const start = num * size
  if (start >= out.payload.length && !(start === 0 && out.payload.length === 0)) {
    return { code: '4.02', options: [], payload: payloadBytes(`no block ${num}`) }
  }
  const chunk = out.payload.subarray(start, start + size)
  const more = start + chunk.length < out.payload.length
  const options: CoapOption[] = [...out.options, { number: O.BLOCK2, value: encodeBlock({ num, more, szx }) }]
  if (num === 0) options.push({ number: O.SIZE2, value: encodeUint(out.payload.length) })
  // Observe belongs only on the notification itself, not on the later blocks.
  return { code: out.code, options: num === 0 ? options : options.filter((o) => o.number !== O.OBSERVE), payload: chunk }
}
