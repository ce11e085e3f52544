// Spring fidelity, case by case: each fixture in test/fixtures/spring/*.yaml is an environment as a
// Spring Cloud Config Server answers it and the document we must serve, written from Spring's public
// material (the file names its source). Each goes through the whole document stage (prepareConfig)
// as the bytes an upstream would send. docs/spring-compatibility.md points here for every rule.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { prepareConfig } from '../../src/document/prepare.js'
import type { PreparedDocument } from '../../src/document/prepare.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'spring')

interface Case {
  readonly name: string
  readonly environment: Record<string, unknown>
  /** The served document, compared as data. */
  readonly served?: unknown
  /** The served JSON text, key order included (whitespace between tokens aside). */
  readonly json?: string
}

function cases(file: string): Case[] {
  return parse(readFileSync(join(FIXTURES, file), 'utf8')) as Case[]
}

async function serve(environment: unknown, version?: string): Promise<PreparedDocument> {
  const body = Buffer.from(JSON.stringify(environment))
  return prepareConfig(
    { documents: [{ body, contentType: 'application/json' }] },
    {
      where: 'https://config.example/app/default',
      decryptor: undefined,
      previous: new Map(),
      version,
    },
  )
}

const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml'))

describe.each(files)('Spring fixtures: %s', (file) => {
  it.each(cases(file).map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    expect(entry.served ?? entry.json, 'a case says what is served').toBeDefined()
    const prepared = await serve(entry.environment)
    const served = JSON.stringify(prepared.document)
    if (entry.json !== undefined) expect(served).toBe(JSON.stringify(JSON.parse(entry.json)))
    if (entry.served !== undefined) expect(JSON.parse(served)).toEqual(entry.served)
    expect(prepared.notices ?? []).toEqual([])
  })
})

describe('Spring fixtures: the sample config repository end to end', () => {
  it('serves orders-cloud.json as orders-cloud.expected.json', async () => {
    const environment = JSON.parse(readFileSync(join(FIXTURES, 'orders-cloud.json'), 'utf8')) as {
      version: string
    }
    const expected: unknown = JSON.parse(
      readFileSync(join(FIXTURES, 'orders-cloud.expected.json'), 'utf8'),
    )
    const prepared = await serve(environment)
    expect(JSON.parse(JSON.stringify(prepared.document))).toEqual(expected)
    expect(prepared.version).toBe(environment.version)
  })
})

describe('Spring fidelity rules beyond the fixtures', () => {
  it('serves a value and every deeper key of it, whichever source and order they come in', async () => {
    const keys = { a: 1, 'a.b': 2, 'a.b.c': 3, 'a.d[0]': 4, 'a[0]': 5 }
    const orders = [
      Object.keys(keys),
      [...Object.keys(keys)].reverse(),
      ['a.b.c', 'a', 'a[0]', 'a.d[0]', 'a.b'],
    ]
    for (const order of orders) {
      const oneSource = { propertySources: [{ name: 's', source: pick(keys, order) }] }
      const perKey = {
        propertySources: order.map((key) => ({ name: key, source: pick(keys, [key]) })),
      }
      for (const environment of [oneSource, perKey]) {
        const { document } = await serve(environment)
        expect(JSON.parse(JSON.stringify(document))).toEqual({
          a: 1,
          'a.b': 2,
          'a.b.c': 3,
          'a.d[0]': 4,
          'a[0]': 5,
        })
      }
    }
  })

  it('keeps the dotted name in the nearest object when the value is a list element', async () => {
    const { document } = await serve({
      propertySources: [{ name: 's', source: { 'x.l[0]': 'v', 'x.l[0].deeper': 'w' } }],
    })
    expect(JSON.parse(JSON.stringify(document))).toEqual({ x: { l: ['v'], 'l[0].deeper': 'w' } })
  })

  it('names, in a notice, a property whose place another already holds (never silently)', async () => {
    // `x[a.b]` is the map key "a.b"; `x.a.b` meets the value of `x.a` and becomes the dotted name
    // "a.b" beside it: two properties, one place. The first placed keeps it; the other is named.
    const prepared = await serve({
      propertySources: [{ name: 's', source: { 'x.a': 1, 'x.a.b': 2, 'x[a.b]': 3 } }],
    })
    expect(JSON.parse(JSON.stringify(prepared.document))).toEqual({ x: { a: 1, 'a.b': 2 } })
    expect(prepared.notices).toEqual([
      expect.stringMatching(/property "x\[a\.b\]" of propertySources\[0\] is not served/),
    ])
  })

  it('takes a list from the first source with any element even when a later source has more', async () => {
    const { document } = await serve({
      propertySources: [
        { name: 'high', source: { 'l[1]': 'b' } },
        { name: 'low', source: { 'l[0]': 'x', 'l[1]': 'y', 'l[2]': 'z' } },
      ],
    })
    expect(document['l']).toEqual([null, 'b'])
  })
})

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]))
}
