import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * Returns a generator of monotonic ULIDs (48-bit ms time + 80 random bits, Crockford base32):
 * ids sort by acceptance time, and within one millisecond the random part is incremented so
 * that ids from one generator never repeat or go backwards.
 */
export function createUlidGenerator(now: () => number = Date.now): () => string {
  let lastTime = -1
  let lastRandom: number[] = []
  return () => {
    let t = now()
    if (t <= lastTime) {
      t = lastTime
      increment(lastRandom)
    } else {
      lastTime = t
      lastRandom = Array.from(randomBytes(16), (b) => b & 31)
    }
    let timePart = ''
    for (let i = 0; i < 10; i++) {
      timePart = ALPHABET[t % 32] + timePart
      t = Math.floor(t / 32)
    }
    return timePart + lastRandom.map((d) => ALPHABET[d]).join('')
  }
}

/** Adds one to a base-32 digit array (most significant first). */
function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] < 31) {
      digits[i]++
      return
    }
    digits[i] = 0
  }
}
