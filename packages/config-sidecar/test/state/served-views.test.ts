// The views of one served config as memory-bounded code prepares them: the redacted document copies
// only the objects and lists on the way to a secret (the document served stays as it is), views are
// rendered to the same bytes as the renderers' text, and a view rendered again (not kept, or asked
// for again) has the same bytes and ETag.
import { describe, expect, it } from 'vitest'
import { renderFormat } from '../../src/formats/render.js'
import { REDACTED, VIEW_CACHE_BYTES, createServedConfig } from '../../src/state/served-config.js'
import { FORMATS } from '../../src/settings/formats.js'

const document = () => ({
  a: { b: 'secret-1', c: [1, { d: 'secret-2', keep: true }], e: { f: 1 } },
  g: 'secret-3',
  list: ['x', 'secret-4'],
  untouched: { deep: { value: 'plain' } },
})
const secretPaths = [['a', 'b'], ['a', 'c', 1, 'd'], ['g'], ['list', 1]]

/** The redacted document as a deep copy with each secret replaced: what `?redact` must show. */
const expectedRedacted = () => {
  const copy = document()
  copy.a.b = REDACTED
  ;(copy.a.c[1] as { d: string }).d = REDACTED
  copy.g = REDACTED
  copy.list[1] = REDACTED
  return copy
}

describe('served views', () => {
  it('redacts exactly the secrets and leaves the served document as it was', () => {
    const served = createServedConfig({ document: document(), secretPaths, version: 'v1' })
    expect(JSON.parse(served.redacted().body.toString('utf8'))).toEqual(expectedRedacted())
    expect(served.document).toEqual(document())
    expect(JSON.parse(served.full.body.toString('utf8'))).toEqual(document())
    expect(JSON.parse(served.at(['a', 'c'], true)!.body.toString('utf8'))).toEqual([
      1,
      { d: REDACTED, keep: true },
    ])
    expect(JSON.parse(served.at(['untouched'], true)!.body.toString('utf8'))).toEqual({
      deep: { value: 'plain' },
    })
    expect(served.at(['missing'], true)).toBeUndefined()
    expect(served.at(['missing'], false)).toBeUndefined()
  })

  it('serves each format as the bytes of its rendered text, redacted or not', () => {
    const served = createServedConfig({ document: document(), secretPaths, version: 'v1' })
    for (const format of FORMATS) {
      for (const redact of [false, true]) {
        const view = served.format(format, redact)
        const rendered = renderFormat(redact ? expectedRedacted() : document(), format)
        if ('refused' in rendered) throw new Error(rendered.refused)
        expect('body' in view && view.body.toString('utf8'), `${format} ${redact}`).toBe(
          rendered.text,
        )
      }
    }
  })

  it('gives a view rendered again the same bytes and ETag, for a document larger than the kept views', () => {
    // Values of 1 MiB each: the views of all formats do not fit the budget together.
    const big: Record<string, string> = {}
    const count = Math.ceil((2 * VIEW_CACHE_BYTES) / (5 * 1024 * 1024)) + 1
    for (let i = 0; i < count; i += 1) big[`value${i}`] = `${i}'"\\\n`.repeat(200 * 1024)
    const served = createServedConfig({ document: big, secretPaths: [['value0']], version: 'v' })
    const first = new Map<string, string>()
    for (const round of [1, 2]) {
      for (const format of FORMATS) {
        for (const redact of [false, true]) {
          const view = served.format(format, redact)
          if (!('body' in view)) throw new Error(view.refused)
          const key = `${format}/${redact}`
          if (round === 1) first.set(key, view.etag)
          else expect(view.etag, key).toBe(first.get(key))
        }
      }
    }
    // A document of top-level keys only reads the same in `flat` as in JSON: 8 different views.
    expect(new Set(first.values()).size).toBe(first.size - 2)
  })
})
