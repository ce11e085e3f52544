// Ports, without the race of "bind port 0, close it, hand the number on" (another test may take the
// number in between). A server a test owns listens on port 0 and reads its port. A child process
// that must be told its port before it starts (the sidecar and the demo app take no port 0) is
// started with `withFreePort`: a candidate from outside the kernel's ephemeral range, so that no
// port-0 listener or outgoing connection can hold it, and a new candidate when the start still
// fails with EADDRINUSE (another test's candidate, or another program). `closedPort` is a port
// where connections are refused, for "nothing listens there".
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

/** A start that failed because its port was taken: `withFreePorts` tries again with new ports. */
export class PortInUseError extends Error {
  readonly port: number | undefined
  constructor(port: number | undefined, message: string) {
    super(message)
    this.name = 'PortInUseError'
    this.port = port
  }
}

/** True for a PortInUseError or a listen error with code EADDRINUSE. */
export function isPortInUse(error: unknown): boolean {
  return (
    error instanceof PortInUseError ||
    (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE'
  )
}

/** The kernel's range for port 0 and outgoing connections (Linux's default when unreadable). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number)
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high]
  } catch {
    // Not Linux: macOS and Windows hand out 49152–65535.
  }
  return [49_152, 65_535]
}

const LOWEST = 10_000
let ephemeral: [number, number] | undefined
const handedOut = new Set<number>()

/** A port number no port-0 listener can hold, not handed out before by this process. */
export function candidatePort(): number {
  ephemeral ??= ephemeralRange()
  const [low, high] = ephemeral
  // The candidates: LOWEST up to the ephemeral range, and above it.
  const below = Math.max(0, Math.min(low, 65_536) - LOWEST)
  const above = Math.max(0, 65_535 - Math.max(high, LOWEST - 1))
  if (below + above === 0) throw new Error(`no port outside the ephemeral range ${low}-${high}`)
  for (;;) {
    const pick = Math.floor(Math.random() * (below + above))
    const port = pick < below ? LOWEST + pick : Math.max(high, LOWEST - 1) + 1 + (pick - below)
    if (handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
}

/**
 * Runs `start` with `count` distinct candidate ports; when it fails because a port is in use (a
 * PortInUseError, or EADDRINUSE), again with new ones, up to `attempts` times.
 */
export async function withFreePorts<T>(
  count: number,
  start: (ports: number[]) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const ports = Array.from({ length: count }, () => candidatePort())
    try {
      return await start(ports)
    } catch (error) {
      if (!isPortInUse(error) || attempt >= attempts) throw error
    }
  }
}

/** `withFreePorts` for one port. */
export function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  return withFreePorts(1, ([port]) => start(port!), attempts)
}

/** Resolves true when a connection to 127.0.0.1:port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.setTimeout(1000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

let closed: number | undefined

/**
 * A port on 127.0.0.1 where connections are refused: a privileged one (below 1024) that nothing on
 * the machine listens on, which tests never bind, so it stays closed for the whole run.
 */
export async function closedPort(): Promise<number> {
  if (closed !== undefined) return closed
  for (const port of [1, 3, 5, 7, 9, 11, 13, 17, 19]) {
    if (await refused(port)) return (closed = port)
  }
  throw new Error('no closed privileged port on 127.0.0.1 (1, 3, …, 19 all accept connections)')
}

/**
 * A candidate port that was free a moment ago, for a walk-through that cannot start again on another
 * port (the doc tests run a whole workshop on the ports they chose). It is outside the ephemeral
 * range, so only another process that picked the same random candidate can take it in between;
 * everything that can retry uses `withFreePorts` instead.
 */
export async function checkedCandidatePort(): Promise<number> {
  for (;;) {
    // A candidate outside the kernel's ephemeral range (no port-0 listener can hold it), checked.
    const port = candidatePort()
    const server = createServer()
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (bound) {
      await new Promise((resolve) => server.close(resolve))
      return port
    }
  }
}
