// A config document at the size limit, served in every view by the built sidecar under the heap cap
// the manifest gives it (`--max-old-space-size=64 --max-semi-space-size=1`). Two shapes: many small
// keys (about 100k objects, 230k leaves) and a few large string values full of characters that every
// format escapes. Each view must answer 200 and the process must stay up: before the fix it died with
// "JavaScript heap out of memory" at the first `?format=` view (a 4 MiB document was held as ten
// renderings of itself, and escaping built its strings one character at a time), and a change of a
// document of many keys needed two dictionary-mode copies of it beside the one served.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { memoryOf, report } from '../../test-support/measure.js'
import { spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'

/** The sidecar's size limit (DOCUMENT_LIMITS.maxBytes); each document stays just under it. */
const LIMIT = 4 * 1024 * 1024
const TARGET = LIMIT - 64 * 1024

/** ~100k small objects of two keys, in groups of 100. */
function manyKeys(): string {
  const doc: Record<string, Record<string, unknown>> = {}
  let size = 2
  for (let i = 0; size < TARGET; i += 1) {
    const group = `group${Math.floor(i / 100)}`
    const entry = { value: `v${i}`, n: i }
    if (doc[group] === undefined) {
      doc[group] = {}
      size += group.length + 6
    }
    doc[group][`key${i % 100}`] = entry
    size += `key${i % 100}`.length + JSON.stringify(entry).length + 4
  }
  const text = JSON.stringify(doc)
  expect(text.length).toBeLessThan(LIMIT)
  return text
}

/** Eight string values of ~500 KB, with quotes, backslashes, line breaks and non-ASCII text. */
function largeValues(): string {
  const piece = `abc def'"\\\n é€ ${'x'.repeat(44)}`
  const doc: Record<string, string> = {}
  const perValue = Math.floor(TARGET / 8 / (JSON.stringify(piece).length + 6))
  for (let i = 0; i < 8; i += 1) doc[`blob${i}`] = piece.repeat(perValue)
  const text = JSON.stringify(doc)
  expect(Buffer.byteLength(text)).toBeLessThan(LIMIT)
  return text
}

const VIEWS = [
  '/config/',
  '/config/?redact',
  ...['json', 'yaml', 'properties', 'env', 'flat'].flatMap((format) => [
    `/config/?format=${format}`,
    `/config/?format=${format}&redact`,
  ]),
]

let dir: { path: string; remove: () => Promise<void> }
const running: SidecarProcess[] = []

beforeAll(async () => {
  dir = await tempDir('reliability-large-document-')
})
afterAll(async () => {
  await Promise.all(running.map((sidecar) => sidecar.stop('SIGKILL').catch(() => undefined)))
  await dir?.remove()
})

describe('a document at the size limit, under the manifest heap cap', () => {
  for (const [shape, make] of [
    ['many small keys', manyKeys],
    ['few large values', largeValues],
  ] as const) {
    it(`serves every view of ${shape} and stays up`, { timeout: 120_000 }, async () => {
      const name = shape.replaceAll(' ', '-')
      const file = join(dir.path, `${name}.json`)
      const text = make()
      await writeFile(file, text)
      const sidecar = await spawnSidecar(join(dir.path), {
        CONFIG_SOURCE: `file:${file}`,
        CONFIG_CACHE_DIR: join(dir.path, `${name}-cache`),
        CONFIG_POLL_INTERVAL: '30s',
        NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1',
      })
      running.push(sidecar)
      await waitFor(
        async () =>
          (await sidecar.get('/config/', { timeoutMs: 20_000 })).status === 200 ? true : undefined,
        { timeoutMs: 30_000, everyMs: 100, what: 'the first config' },
      )
      const answers: Record<string, number> = {}
      for (const view of VIEWS) {
        const answer = await sidecar
          .get(view, { timeoutMs: 20_000 })
          .catch((error: unknown) => ({ status: String(error) }))
        answers[view] = answer.status as number
        sidecar.expectAlive()
      }
      // A change: the new document is prepared beside the one served, and the two are compared.
      const before = (await sidecar.get('/config/', { timeoutMs: 20_000 })).headers['etag']
      await writeFile(file, text.replace(/"(v0|abc)/, '"changed'))
      await waitFor(
        async () => {
          const answer = await sidecar.get('/config/', { timeoutMs: 20_000 })
          return answer.status === 200 && answer.headers['etag'] !== before ? true : undefined
        },
        { timeoutMs: 30_000, everyMs: 200, what: 'the changed config' },
      )
      sidecar.expectAlive()
      // Every view of the new version: those not kept are rendered again.
      for (const view of VIEWS) {
        const answer = await sidecar.get(view, { timeoutMs: 20_000 }).catch(() => ({ status: 0 }))
        expect(answer.status, view).toBe(200)
      }
      sidecar.expectAlive()
      expect(answers).toEqual(Object.fromEntries(VIEWS.map((view) => [view, 200])))
      const memory = await memoryOf(sidecar.pid).catch(() => undefined)
      if (memory !== undefined) report(`large document: ${shape}`, { ...memory })
      await sidecar.stop('SIGKILL')
    })
  }

  it(
    'keeps serving the last good YAML when a YAML file too large to parse replaces it',
    { timeout: 120_000 },
    async () => {
      // A YAML file of many keys runs a 64 MB heap out while the `yaml` library parses it (1 MiB did):
      // it is refused before parsing, by size (heap limit / 128, about 536 KiB under this cap).
      const file = join(dir.path, 'config.yaml')
      await writeFile(file, 'greeting: hello\n')
      const sidecar = await spawnSidecar(join(dir.path), {
        CONFIG_SOURCE: `file:${file}`,
        CONFIG_CACHE_DIR: join(dir.path, 'yaml-cache'),
        CONFIG_POLL_INTERVAL: '30s',
        NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1',
      })
      running.push(sidecar)
      await waitFor(
        async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined),
        { timeoutMs: 30_000, everyMs: 100, what: 'the first config' },
      )
      const lines: string[] = []
      for (let i = 0; lines.length * 24 < 1024 * 1024; i += 1) lines.push(`key${i}: {value: v${i}}`)
      await writeFile(file, `${lines.join('\n')}\n`)
      const status = await sidecar.waitForError('ERR_DOCUMENT_TOO_LARGE', 30_000)
      expect(JSON.stringify(status)).toContain('bytes of YAML')
      sidecar.expectAlive()
      const answer = await sidecar.get('/config/')
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toEqual({ greeting: 'hello' })
      await sidecar.stop('SIGKILL')
    },
  )
})
