// The one diff of two accepted documents (src/state/changes.ts): for random documents and random
// edits, the reported lists take the old flat key set to the new one, every changed path differs in
// value and every other path keeps its value; secrets count by decrypted value (real JWEs, made by
// jose with keys made here); and the helpers every output uses (cap at 100, a sub-path's part).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDecryptor } from '../../src/document/crypto/index.js'
import { prepareConfig } from '../../src/document/prepare.js'
import { flatEntries } from '../../src/formats/flat.js'
import {
  NO_CHANGES,
  changedKeys,
  changesBetween,
  changesUnder,
  diffDocuments,
  limitChanges,
} from '../../src/state/changes.js'
import type { KeyChanges } from '../../src/state/changes.js'
import { createServedConfig } from '../../src/state/served-config.js'
import { documentOf, scalar, served } from '../../../../test-support/arbitraries.js'
import { joseEncrypt, octKey, privateSet, randomSecret } from '../../../../test-support/jose.js'

/** path → every value at it (JSON), from the one flat walk: the oracle only reads, never diffs. */
function flatMap(document: unknown): Map<string, string> {
  const values = new Map<string, unknown[]>()
  for (const entry of flatEntries(document)) {
    const list = values.get(entry.path) ?? []
    list.push(entry.value)
    values.set(entry.path, list)
  }
  return new Map([...values].map(([path, list]) => [path, JSON.stringify(list)]))
}

const sorted = (list: readonly string[]): string[] => [...list].sort()

/** What every diff must satisfy, checked against the two documents' flat maps. */
function expectConsistent(before: unknown, after: unknown, changes: KeyChanges): void {
  const old = flatMap(before)
  const now = flatMap(after)
  for (const list of [changes.added, changes.removed, changes.changed]) {
    expect(list).toEqual(sorted(list))
    expect(new Set(list).size).toBe(list.length)
  }
  // Applying the lists to the old key set gives the new key set.
  const keys = new Set(old.keys())
  for (const path of changes.removed) {
    expect(keys.has(path), `removed ${path} was there`).toBe(true)
    keys.delete(path)
  }
  for (const path of changes.added) {
    expect(keys.has(path), `added ${path} was not there`).toBe(false)
    keys.add(path)
  }
  expect(sorted([...keys])).toEqual(sorted([...now.keys()]))
  // Every changed path differs in value; every path in both that is not named keeps its value.
  const changed = new Set(changes.changed)
  for (const [path, value] of now) {
    if (!old.has(path)) continue
    if (changed.has(path)) expect(old.get(path), `changed ${path}`).not.toBe(value)
    else expect(old.get(path), `unchanged ${path}`).toBe(value)
  }
  for (const path of changes.changed) expect(old.has(path) && now.has(path)).toBe(true)
}

type Edit =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }

type Node = Record<string, unknown> | unknown[]

/** Every slot of a document (a parent and a key or index) and every object in it, in walk order. */
function walk(document: Node): { slots: { parent: Node; key: string }[]; objects: Node[] } {
  const slots: { parent: Node; key: string }[] = []
  const objects: Node[] = []
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    if (!Array.isArray(node)) objects.push(node as Node)
    for (const key of Object.keys(node)) {
      slots.push({ parent: node as Node, key })
      visit((node as Record<string, unknown>)[key])
    }
  }
  visit(document)
  return { slots, objects }
}

/** Sets an own property (a key such as `__proto__` included). */
const put = (target: object, key: string, value: unknown): void =>
  void Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })

/** `document` (a copy) with the edits applied: values replaced, keys and items removed and added. */
function edited(document: unknown, edits: readonly Edit[]): unknown {
  const copy = served(document) as Node
  for (const edit of edits) {
    const { slots, objects } = walk(copy)
    if (edit.kind === 'add') {
      put(objects[edit.at % objects.length]!, edit.key, served(edit.value))
      continue
    }
    if (slots.length === 0) continue
    const { parent, key } = slots[edit.at % slots.length]!
    if (edit.kind === 'set') {
      if (Array.isArray(parent)) parent[Number(key)] = served(edit.value)
      else put(parent, key, served(edit.value))
    } else if (Array.isArray(parent)) parent.splice(Number(key), 1)
    else Reflect.deleteProperty(parent, key)
  }
  return copy
}

const value = fc.oneof(
  { weight: 3, arbitrary: scalar() },
  { weight: 1, arbitrary: documentOf() },
  { weight: 1, arbitrary: fc.constantFrom({}, [], [1, 'two'], { nested: { deeper: true } }) },
)
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/), fc.constantFrom('a.b', 'x[0]', '')),
    value,
  }),
)

describe('diffDocuments', () => {
  it('for random documents and random edits: the lists take the old key set to the new one, and name exactly the paths whose value differs', () => {
    fc.assert(
      fc.property(documentOf(), fc.array(edit, { maxLength: 6 }), (document, edits) => {
        const before = served(document)
        const after = served(edited(before, edits))
        expectConsistent(before, after, diffDocuments(before, after))
      }),
      { numRuns: 400 },
    )
  })

  it('the same with plain keys only (the side-by-side walk, no fallback), edits of every shape', () => {
    fc.assert(
      fc.property(
        documentOf({ plainKeys: true }),
        fc.array(edit, { maxLength: 6 }),
        (document, edits) => {
          const before = served(document)
          const after = served(edited(before, edits))
          expectConsistent(before, after, diffDocuments(before, after))
        },
      ),
      { numRuns: 400 },
    )
  })

  it("the same where keys spell each other's paths (`a.b` beside `a: {b}`, `a[0]` beside `a: [..]`)", () => {
    const spelling = fc.constantFrom(
      'a',
      'b',
      'a.b',
      'a[0]',
      'b.a',
      'a.b.c',
      '',
      '.',
      'a.',
      '[0]',
      'c',
    )
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        { weight: 3, arbitrary: fc.constantFrom(1, 2, 'x', null, true) },
        { weight: 1, arbitrary: fc.array(tie('node'), { maxLength: 3 }) },
        {
          weight: 2,
          arbitrary: fc.dictionary(spelling, tie('node'), { maxKeys: 4, noNullPrototype: true }),
        },
      ),
    })).node
    const documents = fc.dictionary(spelling, tree, { maxKeys: 5, noNullPrototype: true })
    fc.assert(
      fc.property(documents, documents, fc.array(edit, { maxLength: 4 }), (a, b, edits) => {
        expectConsistent(served(a), served(b), diffDocuments(served(a), served(b)))
        const after = served(edited(a, edits))
        expectConsistent(served(a), after, diffDocuments(served(a), after))
      }),
      { numRuns: 500 },
    )
  })

  it('holds for two unrelated documents too, and names nothing between a document and itself', () => {
    fc.assert(
      fc.property(documentOf(), documentOf(), (a, b) => {
        expectConsistent(served(a), served(b), diffDocuments(served(a), served(b)))
        expect(diffDocuments(served(a), structuredClone(served(a)))).toEqual(NO_CHANGES)
      }),
      { numRuns: 300 },
    )
  })

  it('names added, removed and changed paths in the flat syntax, sorted', () => {
    const changes = diffDocuments(
      { b: 1, a: { list: [1, 2, 3], keep: 'x' }, gone: { deep: true }, empty: {} },
      { b: 2, a: { list: [1, 5], keep: 'x', fresh: null }, empty: [], z: 'new' },
    )
    expect(changes).toEqual({
      added: ['a.fresh', 'z'],
      removed: ['a.list[2]', 'gone.deep'],
      changed: ['a.list[1]', 'b', 'empty'],
    })
    expect(changedKeys(changes)).toEqual([
      'a.fresh',
      'a.list[1]',
      'a.list[2]',
      'b',
      'empty',
      'gone.deep',
      'z',
    ])
  })

  it('compares values as the served JSON has them: 1 and "1" differ, -0 and 0 do not, {} and [] differ', () => {
    expect(diffDocuments({ a: 1 }, { a: '1' }).changed).toEqual(['a'])
    expect(diffDocuments({ a: -0 }, { a: 0 })).toEqual(NO_CHANGES)
    expect(diffDocuments({ a: {} }, { a: [] }).changed).toEqual(['a'])
    expect(diffDocuments({ a: null }, { a: false }).changed).toEqual(['a'])
  })

  it('compares every value at a path two keys spell alike (`a.b` beside `a: {b}`)', () => {
    expect(diffDocuments({ 'a.b': 1, a: { b: 2 } }, { 'a.b': 1, a: { b: 3 } }).changed).toEqual([
      'a.b',
    ])
    expect(diffDocuments({ 'a.b': 1, a: { b: 2 } }, { 'a.b': 1, a: { b: 2 } })).toEqual(NO_CHANGES)
    expect(diffDocuments({ 'a.b': 1, a: { b: 2 } }, { a: { b: 1 } }).changed).toEqual(['a.b'])
    // Three spellings of one path where there were two, the first two the same: still changed.
    expect(
      diffDocuments(
        { 'a.b': { c: 1 }, a: { b: { c: 1 } } },
        { 'a.b': { c: 1 }, a: { b: { c: 1 }, 'b.c': 1 } },
      ),
    ).toEqual({ added: [], removed: [], changed: ['a.b.c'] })
  })
})

describe('secrets', () => {
  const key = octKey('changes-test', 32)
  const decryptor = createDecryptor(privateSet(key), 'test keys')
  const prepare = async (document: unknown) =>
    createServedConfig(
      await prepareConfig(
        {
          documents: [
            { body: Buffer.from(JSON.stringify(document)), contentType: 'application/json' },
          ],
        },
        { where: 'test', decryptor: await decryptor, previous: new Map() },
      ),
    )
  const secret = async (plaintext: string): Promise<string> =>
    `{jwe}${await joseEncrypt(plaintext, key, 'dir', 'A256GCM')}`

  it('a secret encrypted again to the same value is no change; a new value is named changed, and no value is in the lists', async () => {
    const value = randomSecret('same')
    const other = randomSecret('other')
    const first = await secret(value)
    const again = await secret(value)
    expect(again).not.toBe(first)
    const before = await prepare({
      db: { user: 'u', password: first },
      list: [await secret(value)],
    })
    const same = await prepare({ db: { user: 'u', password: again }, list: [await secret(value)] })
    const changed = await prepare({
      db: { user: 'u', password: await secret(other) },
      list: [again],
    })
    expect(changesBetween(before, same)).toEqual(NO_CHANGES)
    const changes = changesBetween(before, changed)
    expect(changes).toEqual({ added: [], removed: [], changed: ['db.password'] })
    const text = JSON.stringify(changes)
    for (const hidden of [value, other, first, again]) expect(text).not.toContain(hidden)
  })

  it('for random plaintexts: equal plaintexts under new ciphertexts name nothing, different ones name the path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (a, b) => {
        const before = await prepare({ s: await secret(a), plain: 'p' })
        const after = await prepare({ s: await secret(b), plain: 'p' })
        expect(changesBetween(before, after)).toEqual(
          a === b ? NO_CHANGES : { added: [], removed: [], changed: ['s'] },
        )
      }),
      { numRuns: 40 },
    )
  })
})

describe('changesBetween', () => {
  const config = (document: Record<string, unknown>, version: string) =>
    createServedConfig({ document, secretPaths: [], version })

  it('computes each pair once, and nothing for the same bytes', () => {
    const a = config({ x: 1 }, 'v1')
    const b = config({ x: 2 }, 'v2')
    expect(changesBetween(a, b)).toBe(changesBetween(a, b))
    expect(changesBetween(a, b).changed).toEqual(['x'])
    expect(changesBetween(a, config({ x: 1 }, 'v3'))).toBe(NO_CHANGES)
  })
})

describe('limitChanges', () => {
  const paths = (prefix: string, count: number): string[] =>
    Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(3, '0')}`)

  it('lists at most 100 paths in all, added first, and says how many more', () => {
    const changes = { added: paths('a', 60), removed: paths('r', 30), changed: paths('c', 25) }
    const limited = limitChanges(changes)
    expect(limited.added).toHaveLength(60)
    expect(limited.removed).toHaveLength(30)
    expect(limited.changed).toEqual(paths('c', 10))
    expect(limited.more).toBe(15)
    expect(limitChanges({ added: ['x'], removed: [], changed: ['y'] })).toEqual({
      added: ['x'],
      removed: [],
      changed: ['y'],
      more: 0,
    })
  })
})

describe('changesUnder', () => {
  const changes = {
    added: ['a.list[1].x', 'ab', 'b'],
    removed: ['a.list[0]', 'a.other'],
    changed: ['a', 'a.list', 'a.listing'],
  }

  it('keeps the paths at or below a sub-path, list indexes read from the document', () => {
    const document = { a: { list: [{ x: 1 }, { x: 2 }], other: 1 } }
    expect(changesUnder(changes, document, [])).toBe(changes)
    expect(changesUnder(changes, document, ['a', 'list'])).toEqual({
      added: ['a.list[1].x'],
      removed: ['a.list[0]'],
      changed: ['a.list'],
    })
    expect(changesUnder(changes, document, ['a', 'list', '1'])).toEqual({
      added: ['a.list[1].x'],
      removed: [],
      changed: [],
    })
  })
})
