/**
 * A child process for the lock race test (src/lock/dirLock.test.ts): for each line "DIR" on stdin
 * it tries to take the lock directory DIR once and answers "DIR won" or "DIR lost" on stdout,
 * keeping every lock it won until stdin ends.
 */
import { createInterface } from 'node:readline'
import { acquireDirLock, DirLockedError, type DirLock } from '../../src/lock/dirLock.js'

const held: DirLock[] = []
const lines = createInterface({ input: process.stdin })
lines.on('line', (dir) => {
  try {
    held.push(acquireDirLock(dir))
    process.stdout.write(`${dir} won\n`)
  } catch (err) {
    if (!(err instanceof DirLockedError)) throw err
    process.stdout.write(`${dir} lost\n`)
  }
})
lines.on('close', () => process.exit(0))
process.stdout.write('ready\n')
