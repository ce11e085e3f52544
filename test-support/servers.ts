// In-process servers and their clean-up: `onCleanup` runs a function after the current test (an
// afterEach that this module registers in each test file importing it, directly or through
// ./fake-sidecar.ts or ./in-process-app.ts), and `listen` starts a node:http server on 127.0.0.1,
// port 0, closed after the test.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** Runs `close` after the current test. */
export function onCleanup(close: () => Promise<void> | void): void {
  closers.push(async () => {
    await close()
  })
}

/** Closes a server and every connection it holds; resolves also when it was not listening. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

/** A node:http server on 127.0.0.1, port 0, closed after the current test. */
export async function listen(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => closeServer(server))
  return { server, port: (server.address() as AddressInfo).port }
}
