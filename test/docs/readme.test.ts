// The README against the code: the settings table against SETTINGS, the error table against
// ERROR_CODES, and every relative link in README.md and docs/**/*.md against the files that exist.
import { existsSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SETTINGS } from '../../packages/config-sidecar/src/settings/settings.js'
import { ERROR_CODES } from '../../packages/shared/src/http-contract.js'
import { readDoc, repoRoot } from './doc-runner.js'

const readme = await readDoc('README.md')

/** The rows of the Markdown table between `<!-- name:start -->` and `<!-- name:end -->`, as cells. */
function tableBetween(markdown: string, name: string): string[][] {
  const start = markdown.indexOf(`<!-- ${name}:start -->`)
  const end = markdown.indexOf(`<!-- ${name}:end -->`)
  if (start === -1 || end < start) throw new Error(`README.md has no ${name} markers`)
  const rows = markdown
    .slice(start, end)
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    )
  // The header row and the |---| row.
  return rows.slice(2)
}

const code = (cell: string): string => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell

describe('README.md', () => {
  it('lists every setting in SETTINGS, in order, with its meaning and default', () => {
    const rows = tableBetween(readme, 'settings-table').map(([name, meaning, fallback]) => ({
      name: code(name!),
      meaning,
      default: fallback,
    }))
    expect(rows).toEqual(
      SETTINGS.map((setting) => ({
        name: setting.name,
        meaning: setting.meaning,
        default: setting.default,
      })),
    )
  })

  it('documents every error code in ERROR_CODES, and no other', () => {
    const codes = tableBetween(readme, 'error-codes').map(([cell]) => code(cell!))
    expect(new Set(codes).size, 'each code once').toBe(codes.length)
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort())
  })
})

describe('relative links in README.md and docs/**/*.md', () => {
  it('point at files that exist, and at headings that exist', async () => {
    const documents = ['README.md', ...(await markdownUnder('docs'))]
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

async function markdownUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, dir), { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .sort()
}

/** Link targets outside code: `[text](target)`, `![alt](target)` and `[label]: target`. */
function links(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = []
  let fence: string | undefined
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]
    if (marker !== undefined) {
      if (fence === undefined) fence = marker
      else if (marker.startsWith(fence)) fence = undefined
      return
    }
    if (fence !== undefined) return
    const prose = text.replace(/(`+)[^`]*?\1/g, '')
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1]!, line: index + 1 })
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose)
    if (definition !== null) found.push({ target: definition[1]!, line: index + 1 })
  })
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
