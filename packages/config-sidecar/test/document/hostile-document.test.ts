// An upstream that is not well formed, at the document stage: versions that are not header values,
// list-index and alias bombs, duplicate and colliding keys, secrets hidden in YAML sets. Each is
// refused naming its key path (never a value) or, for a version, replaced by the hash of the bytes
// with a notice for the log. Every case goes through prepareConfig with real parsing.
import { validateHeaderValue } from 'node:http'
import { describe, expect, it } from 'vitest'
import { prepareConfig } from '../../src/document/prepare.js'
import type { PreparedDocument } from '../../src/document/prepare.js'
import { SidecarError } from '../../src/support/errors.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

const WHERE = 'https://config.example/orders/cloud'
const HASH = /^[A-Za-z0-9_-]{43}$/

async function prepare(
  body: string,
  options: { contentType?: string; version?: string } = {},
): Promise<PreparedDocument> {
  return prepareConfig(
    {
      documents: [
        { body: Buffer.from(body), contentType: options.contentType ?? 'application/json' },
      ],
    },
    { where: WHERE, decryptor: undefined, previous: new Map(), version: options.version },
  )
}

/** The SidecarError a preparation is refused with. */
async function refusal(
  body: string,
  options: { contentType?: string; version?: string } = {},
): Promise<SidecarError> {
  try {
    await prepare(body, options)
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    return error as SidecarError
  }
  throw new Error('the document was accepted')
}

const yaml = { contentType: 'application/yaml' }
const spring = (source: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    name: 'orders',
    profiles: ['cloud'],
    ...extra,
    propertySources: [{ name: 's', source }],
  })

describe('an upstream version that is not a header value', () => {
  it.each([
    ['CR/LF (header injection)', 'v1\r\nSet-Cookie: session=stolen'],
    ['a lone LF', 'v1\nx'],
    ['a NUL', 'v1\u0000'],
    ['a tab', 'v1\tx'],
    ['DEL', 'v1\u007f'],
    ['Latin-1 (é)', 'version-é'],
    ['above U+00FF', 'version-\u0100'],
    ['an emoji', 'v-😀'],
    ['201 characters', 'v'.repeat(201)],
  ])('a Spring version with %s is replaced by the hash, with a notice', async (_what, version) => {
    const prepared = await prepare(spring({ a: 1 }, { version }))
    expect(prepared.version).toMatch(HASH)
    expect(() => validateHeaderValue('x-config-version', prepared.version)).not.toThrow()
    expect(prepared.notices).toHaveLength(1)
    expect(prepared.notices[0]).toMatch(/the version in the Spring environment of https:\/\/config/)
    expect(prepared.notices[0]).toMatch(/hash of the bytes as fetched stands in/)
    // The notice says why, but never repeats the version (it may be megabytes of anything).
    expect(prepared.notices[0]).not.toContain(version)
  })

  it('an X-Config-Version header that is not usable gives way to the Spring version, then the hash', async () => {
    const withSpring = await prepare(spring({ a: 1 }, { version: 'abc123' }), {
      version: 'v\u0100',
    })
    expect(withSpring.version).toBe('abc123')
    expect(withSpring.notices).toEqual([
      expect.stringMatching(/the version in the X-Config-Version header of https:\/\/config/),
    ])
    const alone = await prepare('{"a":1}', { version: 'v\u00e9' })
    expect(alone.version).toMatch(HASH)
    expect(alone.notices).toHaveLength(1)
  })

  it('keeps a printable ASCII version of up to 200 characters, with no notice', async () => {
    const version = 'a1 ~!"#$%&()*+,-./:;<=>?@[\\]^_`{|}'.repeat(7).slice(0, 200)
    expect(version).toHaveLength(200)
    const prepared = await prepare(spring({ a: 1 }, { version }))
    expect(prepared.version).toBe(version)
    expect(prepared.notices).toEqual([])
    expect((await prepare('{"a":1}', { version: 'W/"etag-like"' })).version).toBe('W/"etag-like"')
  })
})

describe('list indexes and the expanded document are bounded', () => {
  it('refuses a list index above the limit, naming the key', async () => {
    const error = await refusal(spring({ [`list[${DOCUMENT_LIMITS.maxListIndex + 1}]`]: 1 }))
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toContain('"list[10000]"')
  })

  it('refuses a 6 KB environment of sparse lists (a 20 MB document before), naming the key', async () => {
    const source: Record<string, number> = {}
    for (let i = 0; JSON.stringify(source).length < 6000; i += 1) source[`l${i}[9999]`] = i
    const body = spring(source)
    const started = process.memoryUsage().heapUsed
    const error = await refusal(body)
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toMatch(/"l\d+\[9999\]" of propertySources\[0\]/)
    expect(error.message).toContain(`expands to more than ${4 * body.length + 1024} bytes`)
    // Refused before the lists were made: well under the 20 MB they would take.
    expect(process.memoryUsage().heapUsed - started).toBeLessThan(16 * 1024 * 1024)
  })

  it('refuses nested index bombs (l[0][9999], l[1][9999], …)', async () => {
    const source = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`l[${i}][9999]`, i]))
    expect((await refusal(spring(source))).code).toBe('ERR_DOCUMENT_TOO_LARGE')
  })

  it('accepts a sparse list that stays within four times the bytes fetched', async () => {
    const prepared = await prepare(spring({ 'l[200]': 'last', pad: 'x'.repeat(100) }))
    expect(prepared.document['l']).toHaveLength(201)
  })

  it('refuses a YAML document whose aliases expand past four times its size, naming the key', async () => {
    const big = `big: &big [${Array.from({ length: 4000 }, (_, i) => `item${i}`).join(', ')}]`
    const copies = Array.from({ length: 60 }, (_, i) => `copy${i}: *big`)
    const error = await refusal([big, ...copies].join('\n'), yaml)
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toMatch(/the limit is passed at "copy\d+(\[\d+\])?"/)
  })

  it('still accepts a few aliases of a small node', async () => {
    const prepared = await prepare('base: &b {x: 1, y: 2}\none: *b\ntwo: *b\n', yaml)
    expect(prepared.document['two']).toEqual({ x: 1, y: 2 })
  })
})

describe('duplicate keys in JSON are refused, naming the key path', () => {
  it.each([
    ['{"a":1,"a":2}', '"a" is given twice at the top level'],
    ['{"db":{"password":"x","user":"u","password":"y"}}', '"password" is given twice at "db"'],
    ['{"a":1,"\\u0061":2}', '"a" is given twice at the top level'],
    ['{"l":[{"k":1},{"k":1,"k":2}]}', '"k" is given twice at "l[1]"'],
    [
      '{"propertySources":[{"name":"s","source":{"db.url":"a","db.url":"b"}}]}',
      '"db.url" is given twice at "propertySources[0].source"',
    ],
  ])('%s', async (body, message) => {
    const error = await refusal(body)
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toContain(message)
  })

  it('names the key, never its values', async () => {
    const error = await refusal('{"password":"hunter2","password":"{jwe}eyJhbGciOi.x.y.z.w"}')
    expect(error.message).toContain('"password"')
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('eyJhbGciOi')
  })

  it('does not mistake equal keys of sibling objects, or keys in strings, for duplicates', async () => {
    const body =
      '{"x":{"a":1},"y":{"a":2},"s":"\\"a\\":1,\\"a\\":2 { }","l":[{"a":1},{"a":2}],"a":"a","\\\\":1}'
    expect(JSON.parse(JSON.stringify((await prepare(body)).document))).toEqual(JSON.parse(body))
  })
})

describe('YAML keys that collide once they are text are refused, naming the key path', () => {
  it.each([
    ['1: a\n"1": b\n', '"1" is given twice at the top level'],
    ['flags:\n  true: on\n  "true": off\n', '"true" is given twice at "flags"'],
    ['~: a\n"": b\n', '"" is given twice at the top level'],
    ['list:\n  - 0x1: a\n    1: b\n', '"1" is given twice at "list[0]"'],
  ])('%j', async (text, message) => {
    const error = await refusal(text, yaml)
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toContain(message)
  })

  it('refuses a key that is a list or a map', async () => {
    const error = await refusal('a:\n  ? [x, y]\n  : 1\n', yaml)
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toMatch(/a key at "a" is a list or a map/)
  })
})

describe('YAML 1.1 sets and ordered maps', () => {
  const secret = '{jwe}eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiayJ9..aXY.Y2lwaGVy.dGFn'

  it.each([
    ['a !!set holding a secret', `db: !!set\n  ? "${secret}"\n`],
    ['a !!set under %YAML 1.1', `%YAML 1.1\n---\ndb: !!set\n  ? "${secret}"\n  ? other\n`],
    ['an !!omap holding a secret', `db: !!omap\n  - user: u\n  - password: "${secret}"\n`],
    ['an !!omap holding a set holding a secret', `db: !!omap\n  - s: !!set { "${secret}" }\n`],
  ])('refuses %s (it was served as {}, the secret silently dropped)', async (_what, text) => {
    const error = await refusal(text, yaml)
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toMatch(/the YAML !!(set|omap) at "db" holds a \{jwe\} secret/)
    expect(error.message).not.toContain('eyJhbGci')
  })

  it('serves a set as a list and an ordered map as an object when they hold no secret', async () => {
    const prepared = await prepare(
      'hosts: !!set\n  ? a.example\n  ? b.example\norder: !!omap\n  - first: 1\n  - second: 2\n',
      yaml,
    )
    expect(JSON.parse(JSON.stringify(prepared.document))).toEqual({
      hosts: ['a.example', 'b.example'],
      order: { first: 1, second: 2 },
    })
  })
})

describe('YAML timestamps and !!binary', () => {
  it('keeps a timestamp or !!binary key as written, whatever the time zone, and warns of nothing', async () => {
    const warned: unknown[] = []
    const onWarning = (warning: Error): void => void warned.push(warning.message)
    process.on('warning', onWarning)
    const zone = process.env['TZ']
    try {
      for (const timeZone of ['UTC', 'Asia/Tokyo', 'America/New_York']) {
        process.env['TZ'] = timeZone
        const prepared = await prepare(
          '%YAML 1.1\n---\n2001-12-14: day\n!!timestamp 2001-12-14t21:59:43.10-05:00: moment\n' +
            '? !!binary aGVsbG8=\n: blob\n&when !!timestamp 2001-12-15: anchored\n' +
            'again: { *when : alias }\norder: !!omap\n  - !!timestamp 2001-12-16: first\n',
          yaml,
        )
        expect(JSON.parse(JSON.stringify(prepared.document)), timeZone).toEqual({
          '2001-12-14': 'day',
          '2001-12-14t21:59:43.10-05:00': 'moment',
          'aGVsbG8=': 'blob',
          '2001-12-15': 'anchored',
          again: { '2001-12-15': 'alias' },
          order: { '2001-12-16': 'first' },
        })
      }
      await new Promise((resolve) => setImmediate(resolve))
      expect(warned).toEqual([])
    } finally {
      if (zone === undefined) delete process.env['TZ']
      else process.env['TZ'] = zone
      process.off('warning', onWarning)
    }
  })

  it('refuses two keys that are the same once written as text, a timestamp among them', async () => {
    for (const day of ['2001-12-14', '!!timestamp 2001-12-14']) {
      const error = await refusal(`%YAML 1.1\n---\n${day}: day\n"2001-12-14": text\n`, yaml)
      expect(error.code, day).toBe('ERR_DOCUMENT_INVALID')
      expect(error.message, day).toContain('the key "2001-12-14" is given twice at the top level')
    }
  })

  it('serves !!binary as its base64 text and a !!timestamp as ISO text', async () => {
    const prepared = await prepare(
      '%YAML 1.1\n---\nblob: !!binary aGVsbG8=\nat: !!timestamp 2001-12-14t21:59:43.10-05:00\n',
      yaml,
    )
    expect(JSON.parse(JSON.stringify(prepared.document))).toEqual({
      blob: 'aGVsbG8=',
      at: '2001-12-15T02:59:43.100Z',
    })
  })

  it('serves a date or time without a tag as the text it is, as Spring Boot reads it', async () => {
    const prepared = await prepare(
      '%YAML 1.1\n---\nday: 2001-12-14\nat: 2001-12-14t21:59:43.10-05:00\n' +
        'spaced: 2001-12-14 21:59:43.10 -5\nlist: [2002-12-14]\n',
      yaml,
    )
    expect(JSON.parse(JSON.stringify(prepared.document))).toEqual({
      day: '2001-12-14',
      at: '2001-12-14t21:59:43.10-05:00',
      spaced: '2001-12-14 21:59:43.10 -5',
      list: ['2002-12-14'],
    })
  })
})
