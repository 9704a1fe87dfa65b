import { readdirSync, readFileSync } from 'node:fs'

/**
 * CPU time (user + system, all threads) a process has used so far, in microseconds, from
 * /proc/PID/task/TID/schedstat (nanosecond run time per thread; /proc/PID/stat counts 10 ms ticks,
 * too coarse for a 2 s window). Threads that ended are lost, so measure over a window in which the
 * process keeps its threads (Node's and libcoap's do).
 */
export function processCpuUs(pid: number): number {
  let ns = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1000
}
