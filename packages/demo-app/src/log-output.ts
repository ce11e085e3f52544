// Where the app's log lines go: stdout, one write per turn of the event loop, with a bound on what
// waits to be written.
// Holds: createLogOutput. May import: node built-ins. Never express, never got.
//
// Why: `GET /config` logs two lines per request (as the article's app does). Written one by one,
// that is two write system calls per request; gathered, it is one per turn of the event loop
// however many requests the turn served. And stdout to a pipe (Cloud Foundry's and Kubernetes' log
// collectors, a terminal multiplexer) is asynchronous in Node: what the reader has not taken yet
// waits in this process's memory, without limit. Past `maxPendingBytes` waiting, lines are dropped
// and counted, and one warn line says how many once the reader caught up.

/** What the output needs of a stream: process.stdout has it. */
export interface LogSink {
  write(text: string): unknown
  readonly writableLength: number
}

export interface LogOutput {
  /** Queues one line (with its newline); it is written at the end of this turn of the event loop. */
  write(line: string): void
  /** Writes what is queued now (at exit). */
  flush(): void
}

/** Default bound on the bytes waiting for the log reader: 1 MiB, a few thousand lines. */
export const MAX_PENDING_LOG_BYTES = 1024 * 1024

export function createLogOutput(
  sink: LogSink,
  options: { maxPendingBytes?: number; now?: () => Date } = {},
): LogOutput {
  const maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_LOG_BYTES
  const now = options.now ?? (() => new Date())
  let queued: string[] = []
  let scheduled = false
  let dropped = 0

  const flush = (): void => {
    scheduled = false
    if (queued.length === 0) return
    const lines = queued
    queued = []
    if (sink.writableLength > maxPendingBytes) {
      dropped += lines.length
      return
    }
    if (dropped > 0) {
      lines.unshift(
        `${JSON.stringify({
          time: now().toISOString(),
          level: 'warn',
          msg: 'dropped log lines: the log reader did not keep up',
          dropped,
          limitBytes: maxPendingBytes,
        })}\n`,
      )
      dropped = 0
    }
    sink.write(lines.length === 1 ? lines[0]! : lines.join(''))
  }

  return {
    write(line) {
      queued.push(line)
      if (scheduled) return
      scheduled = true
      setImmediate(flush)
    },
    flush,
  }
}
