// A request the HTTP parser refuses (a header block past 16 KiB, bytes that are not HTTP) is
// answered, and the connection closed in stages (RFC 9112 §9.6): a client still sending when the
// answer goes out reads the answer, not a reset.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { closeRefusedConnectionsInStages } from '../../src/http/client-errors.js'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { closeServer, onCleanup } from '../../../../test-support/servers.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'

let sidecar: InProcessSidecar | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
afterEach(async () => {
  await sidecar?.stop()
  await dir?.remove()
  sidecar = undefined
  dir = undefined
})

const BIG_HEADER = `X-Big: ${'a'.repeat(17 * 1024)}\r\n`

interface Exchange {
  readonly answer: string
  readonly error?: string
  /** Milliseconds from the first byte of the answer to the connection's close. */
  readonly closedAfterMs: number
}

/**
 * Sends `head`, and once the server has answered and closed its side, sends `more` chunk by chunk
 * (20 ms apart), as a client still writing its request would; then closes its own side, unless
 * `keepSending` (then it writes on until the server closes the connection).
 */
function sendOnAfterAnswer(
  port: number,
  head: string,
  more: string[],
  keepSending = false,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let answer = ''
    let answeredAt = 0
    let error: string | undefined
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      if (answer === '') answeredAt = Date.now()
      answer += chunk
    })
    socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code))
    socket.on('close', () =>
      resolve({
        answer,
        ...(error === undefined ? {} : { error }),
        closedAfterMs: Date.now() - answeredAt,
      }),
    )
    socket.on('end', () => {
      void (async () => {
        for (let i = 0; keepSending || i < more.length; i += 1) {
          if (socket.destroyed) return
          socket.write(more[i % more.length]!)
          await sleep(20)
        }
        socket.end()
      })()
    })
    socket.write(head)
  })
}

async function startSidecar(): Promise<InProcessSidecar> {
  dir = await tempDir()
  const file = join(dir.path, 'config.json')
  await writeFile(file, '{"greeting":"hello"}')
  sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
  await sidecar.firstRefresh
  return sidecar
}

async function listenInStages(
  lingerMs: number,
  handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok'),
): Promise<{ server: Server; port: number }> {
  const server = createServer({ maxHeaderSize: 16 * 1024 }, handler)
  closeRefusedConnectionsInStages(server, lingerMs)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => closeServer(server))
  return { server, port: (server.address() as AddressInfo).port }
}

it('the sidecar answers 431 to a client still sending its header block, with no reset, and serves on', async () => {
  const { port } = await startSidecar()
  // Node's default closes at once: the bytes sent after the answer then meet a reset (ECONNRESET
  // or EPIPE here, every time), and a reset can overtake the answer itself.
  const exchange = await sendOnAfterAnswer(
    port,
    `GET /config/ HTTP/1.1\r\nHost: localhost\r\n${BIG_HEADER}`,
    ['X-More: 1\r\n', 'X-More: 2\r\n', '\r\n'],
  )
  expect(exchange.error).toBeUndefined()
  expect(exchange.answer).toBe(
    'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  )
  expect((await sidecar!.get('/config/')).status).toBe(200)
})

it('answers bytes that are not HTTP with 400, also with no reset', async () => {
  const { port } = await listenInStages(5000)
  const exchange = await sendOnAfterAnswer(port, 'BANANA\r\n\r\n', [
    'more garbage\r\n',
    'and more\r\n',
  ])
  expect(exchange.error).toBeUndefined()
  expect(exchange.answer).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
})

it('closes as soon as the client closes its side, well before the linger ends', async () => {
  const { server, port } = await listenInStages(60_000)
  const exchange = await sendOnAfterAnswer(port, `GET / HTTP/1.1\r\nHost: x\r\n${BIG_HEADER}`, [])
  expect(exchange.answer).toMatch(/^HTTP\/1\.1 431 /)
  await waitFor(
    () =>
      new Promise<true | undefined>((resolve) =>
        server.getConnections((_error, count) => resolve(count === 0 ? true : undefined)),
      ),
  )
})

it('closes a client that never stops sending once the linger is over', async () => {
  const lingerMs = 1000
  const { port } = await listenInStages(lingerMs)
  const exchange = await sendOnAfterAnswer(
    port,
    `GET / HTTP/1.1\r\nHost: x\r\n${BIG_HEADER}`,
    ['X-More: 1\r\n'],
    true,
  )
  expect(exchange.answer).toMatch(/^HTTP\/1\.1 431 /)
  // Read on, not closed at the client's next bytes. The lower bound leaves half the linger for
  // this process to reach the answer after the server sent it, however busy the machine.
  expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(lingerMs / 2)
})

it('writes no status line into a response still in flight: that connection is closed at once', async () => {
  let answerSlow: (() => void) | undefined
  const { port } = await listenInStages(5000, (req, res) => {
    if (req.url === '/slow') answerSlow = () => res.end('slow answer')
    else res.end('ok')
  })
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(received))
    // A pipelined request behind one still being answered, and bytes that are not HTTP behind it.
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nBANANA\r\n\r\n')
  })
  expect(answerSlow).toBeDefined()
  expect(answer).not.toContain('400')
})
