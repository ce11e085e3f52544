// Reading a secret at start, while the sidecar cannot give it yet: the reason is said once (a
// network code, an HTTP status, "not a string value", never a message or a value), it tries again
// every retryMs (2 s by default), a key is sent path segment by path segment, encoded, and stop()
// ends it whatever it was doing.
import { createLogger } from '@sample/shared'
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { parsed } from '../../../test-support/logs.js'
import { closedPort } from '../../../test-support/ports.js'
import { listen, onCleanup } from '../../../test-support/servers.js'
import { sleep, waitFor } from '../../../test-support/wait.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import type { SidecarClient } from '../src/sidecar-client.js'
import { readSecretAtStart } from '../src/use-a-secret.js'

function start(
  sidecar: SidecarClient,
  key: string,
  options: { retryMs?: number } = { retryMs: 20 },
) {
  const logs: string[] = []
  const used: string[] = []
  const reading = readSecretAtStart({
    sidecar,
    logger: createLogger({ write: (line) => logs.push(line) }),
    key,
    use: (value) => used.push(value),
    ...options,
  })
  onCleanup(() => reading.stop())
  /** The log lines without their time. */
  const lines = (): Record<string, unknown>[] =>
    parsed(logs).map((line) =>
      Object.fromEntries(Object.entries(line).filter(([name]) => name !== 'time')),
    )
  return { lines, used, reading }
}

const client = (port: number): SidecarClient =>
  createSidecarClient(`http://127.0.0.1:${port}`, undefined)

/** A sidecar that answers every request with what `answer` says now, and counts them. */
async function scripted(answer: { status: number; body: string }) {
  const urls: string[] = []
  const { port } = await listen((req, res) => {
    urls.push(req.url ?? '')
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
  })
  return { port, urls, answer }
}

const waiting = (key: string, reason: string) => ({
  level: 'info',
  msg: `waiting for the sidecar to read secret ${key}`,
  key,
  reason,
})
const read = (key: string) => ({
  level: 'info',
  msg: `read secret ${key} from the sidecar (the value is not logged)`,
  key,
})

describe('reading a secret while the sidecar cannot give it', () => {
  it('says once that it waits, with the HTTP status, tries again, and reads the value once it is there', async () => {
    const sidecar = await scripted({
      status: 503,
      body: '{"error":{"code":"ERR_CONFIG_NOT_READY"}}',
    })
    const { lines, used, reading } = start(client(sidecar.port), 'database.password')
    await waitFor(() => (sidecar.urls.length >= 3 ? true : undefined))
    expect(used).toEqual([])
    sidecar.answer.status = 200
    sidecar.answer.body = '"fixture-pw-1"'
    await reading.done
    expect(used).toEqual(['fixture-pw-1'])
    expect(lines()).toEqual([waiting('database.password', 'HTTP 503'), read('database.password')])
    expect(new Set(sidecar.urls)).toEqual(new Set(['/config/database/password']))
  })

  it('says "not a string value" for a value that is an object, or not JSON', async () => {
    const sidecar = await scripted({ status: 200, body: '{"user":"orders"}' })
    const object = start(client(sidecar.port), 'database')
    await waitFor(() => (object.lines().length > 0 ? true : undefined))
    expect(object.lines()).toEqual([waiting('database', 'not a string value')])
    object.reading.stop()
    await object.reading.done

    sidecar.answer.body = 'not json'
    const text = start(client(sidecar.port), 'database')
    await waitFor(() => (text.lines().length > 0 ? true : undefined))
    expect(text.lines()).toEqual([waiting('database', 'not a string value')])
    expect(text.used).toEqual([])
  })

  it('never takes the body of an answer other than 200 as the value, even a JSON string', async () => {
    const sidecar = await scripted({ status: 500, body: '"not-the-secret"' })
    const { lines, used } = start(client(sidecar.port), 'database.password')
    await waitFor(() => (sidecar.urls.length >= 2 ? true : undefined))
    expect(used).toEqual([])
    expect(lines()).toEqual([waiting('database.password', 'HTTP 500')])
  })

  it('says the network error code when the sidecar is down, and "no answer" for a failure without one', async () => {
    const down = start(client(await closedPort()), 'database.password')
    await waitFor(() => (down.lines().length > 0 ? true : undefined))
    expect(down.lines()).toEqual([waiting('database.password', 'ECONNREFUSED')])

    const failing: SidecarClient = {
      baseUrl: 'http://127.0.0.1:1',
      get: () => Promise.reject(new Error('fixture-message')),
      openStream: () => Promise.reject(new Error('no stream')),
    }
    const noCode = start(failing, 'database.password')
    await waitFor(() => (noCode.lines().length > 0 ? true : undefined))
    expect(noCode.lines()).toEqual([waiting('database.password', 'no answer')])
  })

  it('sends each part of the key as one encoded path segment', async () => {
    const sidecar = await fakeSidecar({
      full: { 'a b': { 'c/d': 'fixture-odd-key' } },
      redacted: { 'a b': { 'c/d': '[redacted]' } },
    })
    const { used, reading } = start(client(sidecar.port), 'a b.c/d')
    await reading.done
    expect(used).toEqual(['fixture-odd-key'])
    expect(sidecar.seen.map((seen) => seen.url)).toEqual(['/config/a%20b/c%2Fd'])
  })

  it('tries again after 2 s by default, not before', async () => {
    const sidecar = await scripted({ status: 503, body: '{}' })
    const { lines } = start(client(sidecar.port), 'database.password', {})
    await waitFor(() => (lines().length > 0 ? true : undefined))
    await sleep(500)
    expect(sidecar.urls).toHaveLength(1)
  })
})

describe('stop()', () => {
  it('ends the retries: no request after it, and done settles', async () => {
    const sidecar = await scripted({ status: 503, body: '{}' })
    const { lines, reading } = start(client(sidecar.port), 'database.password', { retryMs: 300 })
    // The first answer was handled (its line is written just before the retry is set): no
    // request is on its way, the next one waits for its timer.
    await waitFor(() => (lines().length === 1 ? true : undefined))
    reading.stop()
    await reading.done
    await sleep(500)
    expect(sidecar.urls).toHaveLength(1)
  })

  it('drops an answer that arrives after it: the value is not used and nothing is logged', async () => {
    const answers: (() => void)[] = []
    const { port } = await listen((_req, res) => {
      answers.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('"late"'))
    })
    const { lines, used, reading } = start(client(port), 'database.password')
    await waitFor(() => (answers.length === 1 ? true : undefined))
    reading.stop()
    await reading.done
    answers[0]!()
    await sleep(100)
    expect(used).toEqual([])
    expect(lines()).toEqual([])
  })

  it('drops a failure that arrives after it: no waiting line, no retry', async () => {
    let urls = 0
    let fail = false
    const pending: (() => void)[] = []
    const { port } = await listen((req) => {
      urls++
      if (fail) req.socket.destroy()
      else pending.push(() => req.socket.destroy())
    })
    const { lines, reading } = start(client(port), 'database.password')
    await waitFor(() => (pending.length === 1 ? true : undefined))
    reading.stop()
    fail = true
    pending[0]!()
    await sleep(150)
    expect(lines()).toEqual([])
    // The client sends a GET once more on a reset connection (./sidecar-client.ts); no retry after.
    expect(urls).toBe(2)
  })
})
