import { describe, expect, it } from 'vitest'
import { SidecarError } from '../../src/support/errors.js'
import { valueAtPath } from '../../src/document/path.js'
import { detectFormat, parseDocument } from '../../src/document/parse.js'
import {
  isSpringEnvironment,
  mergeSpringEnvironment,
  parsePropertyKey,
} from '../../src/document/spring.js'

async function codeOf(action: () => unknown): Promise<string | undefined> {
  try {
    await action()
  } catch (error) {
    return error instanceof SidecarError ? error.code : 'not a SidecarError'
  }
  return undefined
}

describe('parseDocument', () => {
  it('parses JSON and YAML objects', async () => {
    expect(await parseDocument('{"a":{"b":1}}', 'json', 'test')).toEqual({ a: { b: 1 } })
    expect(await parseDocument('a:\n  b: 1\nlist: [x, y]\n', 'yaml', 'test')).toEqual({
      a: { b: 1 },
      list: ['x', 'y'],
    })
  })

  it.each([
    ['{"a":', 'json'],
    ['[1,2]', 'json'],
    ['"text"', 'json'],
    ['null', 'json'],
    ['a: [1, 2', 'yaml'],
    ['- just\n- a list', 'yaml'],
    ['', 'yaml'],
    ['a: 1\na: 2', 'yaml'],
  ] as const)('refuses %j (%s)', async (text, format) => {
    expect(await codeOf(() => parseDocument(text, format, 'test'))).toBe('ERR_DOCUMENT_INVALID')
  })

  it('never quotes the input in its message', async () => {
    try {
      await parseDocument('{"password": "hunter2" oops}', 'json', 'file:/c.json')
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).toMatch(/^file:\/c\.json is not valid JSON/)
      expect((error as Error).message).not.toContain('hunter2')
      expect((error as Error).cause).toBeUndefined()
    }
  })

  it('refuses a YAML alias bomb', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ].join('\n')
    expect(await codeOf(() => parseDocument(bomb, 'yaml', 'test'))).toBe('ERR_DOCUMENT_INVALID')
  })

  it('refuses nesting deeper than the limit', async () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100)
    expect(await codeOf(() => parseDocument(deep, 'json', 'test'))).toBe('ERR_DOCUMENT_INVALID')
  })

  it('keeps __proto__ and constructor as plain keys without touching Object.prototype', async () => {
    const json = await parseDocument(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
      'json',
      'test',
    )
    const yaml = await parseDocument('__proto__:\n  polluted: true\n', 'yaml', 'test')
    expect(Object.keys(json)).toEqual(['__proto__', 'constructor'])
    expect(JSON.parse(JSON.stringify(yaml))).toEqual(
      JSON.parse('{"__proto__": {"polluted": true}}'),
    )
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('detects the format from the type, the file name, then the first character', () => {
    expect(detectFormat({ contentType: 'application/json;charset=utf-8' }, 'a: 1')).toBe('json')
    expect(detectFormat({ contentType: 'application/x-yaml' }, '{}')).toBe('yaml')
    expect(detectFormat({ fileName: 'app.yml' }, '{}')).toBe('yaml')
    expect(detectFormat({}, '  {"a":1}')).toBe('json')
    expect(detectFormat({}, 'a: 1')).toBe('yaml')
  })
})

describe('Spring environments', () => {
  const environment = {
    name: 'orders',
    profiles: ['cloud'],
    label: 'main',
    version: '5f1c2a9',
    state: null,
    propertySources: [
      {
        name: 'https://github.com/acme/config/orders-cloud.yml',
        source: {
          'db.url': 'jdbc:cloud',
          'servers[0]': 'a.cloud',
          'servers[1]': 'b.cloud',
          'map[key.with.dots]': 1,
        },
      },
      {
        name: 'https://github.com/acme/config/orders.yml',
        source: {
          'db.url': 'jdbc:default',
          'db.pool.size': 5,
          'servers[0]': 'x',
          'servers[2]': 'y',
          'feature.enabled': true,
        },
      },
      {
        name: 'https://github.com/acme/config/application.yml',
        source: { 'logging.level': 'INFO', 'db.pool.size': 10 },
      },
    ],
  }

  it('merges property sources, earlier ones winning, and expands keys', () => {
    expect(isSpringEnvironment(environment)).toBe(true)
    const { document, version } = mergeSpringEnvironment(environment, 'test')
    expect(version).toBe('5f1c2a9')
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      db: { url: 'jdbc:cloud', pool: { size: 5 } },
      servers: ['a.cloud', 'b.cloud'],
      map: { 'key.with.dots': 1 },
      feature: { enabled: true },
      logging: { level: 'INFO' },
    })
  })

  it('takes a list whole from the highest source that has it', () => {
    const { document } = mergeSpringEnvironment(environment, 'test')
    expect(document['servers']).toEqual(['a.cloud', 'b.cloud'])
  })

  it('fills list holes with null', () => {
    const { document } = mergeSpringEnvironment(
      { propertySources: [{ name: 'a', source: { 'l[0]': 'a', 'l[2]': 'c' } }] },
      'test',
    )
    expect(document['l']).toEqual(['a', null, 'c'])
  })

  it('keeps both of two colliding keys: the deeper one as a dotted name beside the value', () => {
    const { document } = mergeSpringEnvironment(
      {
        propertySources: [
          { name: 'a', source: { a: 1, 'a.b': 2 } },
          { name: 'b', source: { 'c.d': 1 } },
          { name: 'c', source: { c: 2 } },
        ],
      },
      'test',
    )
    // Before: { a: 1, c: { d: 1 } }, losing a.b (a Spring client resolves 2) and c (it resolves 2).
    expect(JSON.parse(JSON.stringify(document))).toEqual({ a: 1, 'a.b': 2, 'c.d': 1, c: 2 })
  })

  it('keeps prototype keys as data', () => {
    const { document } = mergeSpringEnvironment(
      {
        propertySources: [
          { name: 'a', source: { '__proto__.polluted': 'yes', 'constructor.prototype.x': 1 } },
        ],
      },
      'test',
    )
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(JSON.parse(JSON.stringify(document))).toEqual(
      JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"x":1}}}'),
    )
  })

  it('refuses huge list indexes and property sources without a source', async () => {
    expect(
      await codeOf(() =>
        mergeSpringEnvironment(
          { propertySources: [{ name: 'a', source: { 'l[100000000]': 1 } }] },
          't',
        ),
      ),
    ).toBe('ERR_DOCUMENT_INVALID')
    expect(
      await codeOf(() => mergeSpringEnvironment({ propertySources: [{ name: 'a' }] }, 't')),
    ).toBe('ERR_DOCUMENT_INVALID')
  })

  it('splits property keys', () => {
    expect(parsePropertyKey('a.b[0].c', 't')).toEqual(['a', 'b', 0, 'c'])
    expect(parsePropertyKey('m["x.y"].z', 't')).toEqual(['m', 'x.y', 'z'])
    expect(parsePropertyKey('l[1][2]', 't')).toEqual(['l', 1, 2])
  })
})

describe('valueAtPath', () => {
  const document = { a: { b: [10, { c: 'x' }] }, 'with space': 1 }

  it('walks object keys and list indexes', () => {
    expect(valueAtPath(document, ['a', 'b', '1', 'c'])).toBe('x')
    expect(valueAtPath(document, ['a', 'b', '0'])).toBe(10)
    expect(valueAtPath(document, ['with space'])).toBe(1)
    expect(valueAtPath(document, [])).toBe(document)
  })

  it('is undefined for absent paths and inherited names', () => {
    expect(valueAtPath(document, ['a', 'missing'])).toBeUndefined()
    expect(valueAtPath(document, ['a', 'b', '01'])).toBeUndefined()
    expect(valueAtPath(document, ['a', 'b', '5'])).toBeUndefined()
    expect(valueAtPath(document, ['toString'])).toBeUndefined()
    expect(valueAtPath(document, ['a', 'b', '0', 'x'])).toBeUndefined()
  })
})
