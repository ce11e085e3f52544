// The reference against the code: the settings table of docs/reference.md against SETTINGS, its
// error table against ERROR_CODES; and every relative link in README.md, CONTRIBUTING.md and
// docs/**/*.md against the files and headings that exist.
import { existsSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SETTINGS } from '../../packages/config-sidecar/src/settings/settings.js'
import { ERROR_CODES, ERROR_STATUS } from '../../packages/shared/src/http-contract.js'
import type { ErrorCode } from '../../packages/shared/src/http-contract.js'
import { readDoc, repoRoot } from './doc-runner.js'
import { markdownUnder, proseLines, tableBetween } from './markdown.js'

const REFERENCE = 'docs/reference.md'
const reference = await readDoc(REFERENCE)

const code = (cell: string): string => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell

describe(REFERENCE, () => {
  it('lists every setting in SETTINGS, in order, with its meaning and default', () => {
    const rows = tableBetween(reference, 'settings-table', REFERENCE).map(
      ([name, meaning, fallback]) => ({
        name: code(name!),
        meaning,
        default: fallback,
      }),
    )
    expect(rows).toEqual(
      SETTINGS.map((setting) => ({
        name: setting.name,
        meaning: setting.meaning,
        default: setting.default,
      })),
    )
  })

  it('documents every error code in ERROR_CODES, and no other, with the status it is answered with', () => {
    const rows = tableBetween(reference, 'error-codes', REFERENCE)
    const codes = rows.map(([cell]) => code(cell!))
    expect(new Set(codes).size, 'each code once').toBe(codes.length)
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort())
    for (const [cell, status] of rows)
      expect(Number(status), code(cell!)).toBe(ERROR_STATUS[code(cell!) as ErrorCode])
  })
})

describe('relative links in README.md, CONTRIBUTING.md and docs/**/*.md', () => {
  it('point at files that exist, and at headings that exist', async () => {
    const documents = ['README.md', 'CONTRIBUTING.md', ...(await markdownUnder('docs'))]
    const broken: string[] = []
    for (const document of documents) {
      for (const { target, line } of links(await readDoc(document))) {
        const problem = await checkLink(document, target)
        if (problem !== undefined) broken.push(`${document}:${line}: ${target} (${problem})`)
      }
    }
    expect(broken).toEqual([])
  })
})

/** Link targets outside code: `[text](target)`, `![alt](target)` and `[label]: target`. */
function links(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = []
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[^`]*?\1/g, '')
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1]!, line })
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose)
    if (definition !== null) found.push({ target: definition[1]!, line })
  }
  return found.filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
}

async function checkLink(document: string, target: string): Promise<string | undefined> {
  const [path, fragment] = target.split('#') as [string, string | undefined]
  const file =
    path === '' ? join(repoRoot, document) : join(repoRoot, dirname(document), decodeURI(path))
  if (!existsSync(file)) return 'no such file'
  if (fragment === undefined || fragment === '') return undefined
  if (!file.endsWith('.md') || statSync(file).isDirectory()) return undefined
  const anchors = headingAnchors(await readDoc(relative(repoRoot, file)))
  return anchors.has(fragment) ? undefined : 'no such heading'
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, -1 for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fence: string | undefined
  for (const text of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]
    if (marker !== undefined) {
      if (fence === undefined) fence = marker
      else if (marker.startsWith(fence)) fence = undefined
      continue
    }
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1] : undefined
    if (heading === undefined) continue
    const slug = heading
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}
