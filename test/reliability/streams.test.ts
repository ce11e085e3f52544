// 1,000 long polls and 1,000 Server-Sent Events streams on one built sidecar: memory and idle CPU
// with all of them open, every one answered on a change, the connection cap past 2,048, and SIGTERM
// with all of them open (long polls answered 304, streams ended, exit 0 within 5 s).
import { rename, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { errorCode } from '../../test-support/http.js'
import { cpuMsOf, memoryOf, report, round } from '../../test-support/measure.js'
import { TOKEN, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { sleep, waitFor } from '../../test-support/wait.js'

const COUNT = 1000

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess
let file: string

beforeAll(async () => {
  dir = await tempDir('reliability-streams-')
  file = join(dir.path, 'app.json')
  await writeFile(file, JSON.stringify({ version: 1 }))
  sidecar = await spawnSidecar(dir.path, { CONFIG_SOURCE: `file:${file}` })
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir?.remove()
})

interface Held {
  readonly socket: Socket
  data: string
  closed: boolean
}

/** Opens raw connections that send one request each and keep whatever comes back. */
async function open(count: number, request: string): Promise<Held[]> {
  const held: Held[] = []
  // In batches, so the listen backlog never overflows.
  for (let batch = 0; batch < count; batch += 100) {
    const opened = Array.from({ length: Math.min(100, count - batch) }, () => {
      const socket = connect(sidecar.port, '127.0.0.1')
      const entry: Held = { socket, data: '', closed: false }
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (entry.data += chunk))
      socket.on('error', () => undefined)
      socket.on('close', () => (entry.closed = true))
      held.push(entry)
      return new Promise<void>((resolve) =>
        socket.once('connect', () => socket.write(request, () => resolve())),
      )
    })
    await Promise.all(opened)
  }
  return held
}

const waiting = async (): Promise<{ streams: number; longPolls: number }> =>
  (await sidecar.status()).waiting

const replaceConfig = async (value: unknown): Promise<void> => {
  const temp = join(dir.path, '.app.json.tmp')
  await writeFile(temp, JSON.stringify(value))
  await rename(temp, file)
}

const statusOf = (held: Held): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(held.data)?.[1] ?? 0)
const events = (held: Held): number => held.data.split('event: config\n').length - 1

describe(`${COUNT} long polls and ${COUNT} event streams on one sidecar`, () => {
  it('holds them with bounded memory and near-zero idle CPU, answers them all on a change, and ends them on SIGTERM', async () => {
    const before = await memoryOf(sidecar.pid)
    const etag = (await sidecar.get('/config/')).headers['etag'] as string
    const auth = `Authorization: Bearer ${TOKEN}\r\n`
    const longPoll = (tag: string): string =>
      `GET /config/?wait=55 HTTP/1.1\r\nHost: localhost\r\n${auth}If-None-Match: ${tag}\r\n\r\n`
    const streamRequest = `GET /config/ HTTP/1.1\r\nHost: localhost\r\n${auth}Accept: text/event-stream\r\n\r\n`

    const polls = await open(COUNT, longPoll(etag))
    const streams = await open(COUNT, streamRequest)
    await waitFor(
      async () => {
        const now = await waiting()
        return now.streams === COUNT && now.longPolls === COUNT ? true : undefined
      },
      { timeoutMs: 15_000, what: `${COUNT} + ${COUNT} waiting` },
    )
    expect(streams.every((held) => events(held) === 1)).toBe(true)

    // Open and idle: memory, and CPU over 3 s (no heartbeat is due: they come every 25 s).
    await sleep(500)
    const open2000 = await memoryOf(sidecar.pid)
    const cpuBefore = await cpuMsOf(sidecar.pid)
    await sleep(3000)
    const idleCpuMs = (await cpuMsOf(sidecar.pid)) - cpuBefore
    // A normal client is still served, promptly.
    const normal = await sidecar.get('/config/')
    expect(normal.status).toBe(200)

    // Past 2,048 connections, a request gets 429; once they go, 200 again.
    const idle = await open(60, '')
    const refused = await sidecar.get('/config/', { headers: { connection: 'close' } })
    expect(refused.status).toBe(429)
    expect(errorCode(refused)).toBe('ERR_TOO_MANY_CONNECTIONS')
    for (const held of idle) held.socket.destroy()
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))

    // A change answers every long poll (200, the new body) and reaches every stream.
    const changedAt = Date.now()
    await replaceConfig({ version: 2 })
    await waitFor(
      () =>
        polls.every((held) => statusOf(held) === 200 && held.data.includes('{"version":2}')) &&
        streams.every((held) => events(held) === 2)
          ? true
          : undefined,
      { timeoutMs: 10_000, what: 'every long poll and stream told of the change' },
    )
    const deliveredMs = Date.now() - changedAt
    for (const held of polls) held.socket.destroy()

    // SIGTERM with 1,000 new long polls and the 1,000 streams open.
    const etag2 = (await sidecar.get('/config/')).headers['etag'] as string
    const polls2 = await open(COUNT, longPoll(etag2))
    await waitFor(async () => ((await waiting()).longPolls === COUNT ? true : undefined), {
      timeoutMs: 10_000,
      what: `${COUNT} new long polls`,
    })
    const withPolls = await memoryOf(sidecar.pid)
    const stopping = Date.now()
    const code = await sidecar.stop('SIGTERM')
    const stopMs = Date.now() - stopping
    await waitFor(
      () =>
        polls2.every((held) => held.closed) && streams.every((held) => held.closed)
          ? true
          : undefined,
      { timeoutMs: 3000, what: 'every connection closed' },
    )
    const answered304 = polls2.filter((held) => statusOf(held) === 304).length
    const streamsEnded = streams.filter((held) => held.data.endsWith('0\r\n\r\n')).length

    report('1,000 long polls + 1,000 streams', {
      rssBeforeMiB: before.rssMiB,
      rssWith2000OpenMiB: open2000.rssMiB,
      peakMiB: withPolls.peakMiB,
      perConnectionKiB: round(((open2000.rssMiB - before.rssMiB) * 1024) / (2 * COUNT)),
      idleCpuMsOver3s: round(idleCpuMs),
      idleCpuPercent: round((idleCpuMs / 3000) * 100, 2),
      changeDeliveredToAllMs: deliveredMs,
      sigtermExitMs: stopMs,
      longPollsAnswered304: answered304,
      streamsEndedCleanly: streamsEnded,
    })
    expect(code).toBe(0)
    expect(stopMs).toBeLessThan(5000)
    expect(answered304).toBe(COUNT)
    expect(streamsEnded).toBe(COUNT)
    expect(open2000.rssMiB - before.rssMiB).toBeLessThan(64)
    expect(idleCpuMs).toBeLessThan(300)
    expect(sidecar.proc.output()).toContain('"msg":"stopped"')
  }, 60_000)
})
