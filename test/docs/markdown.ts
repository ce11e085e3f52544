// Small readers of the repository's Markdown shared by the docs tests: marked tables, the documents
// under a folder, and the shell code blocks with their lines.
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { repoRoot } from './doc-runner.js'

/** The rows of the Markdown table between `<!-- name:start -->` and `<!-- name:end -->`, as cells. */
export function tableBetween(markdown: string, name: string, where: string): string[][] {
  const start = markdown.indexOf(`<!-- ${name}:start -->`)
  const end = markdown.indexOf(`<!-- ${name}:end -->`)
  if (start === -1 || end < start) throw new Error(`${where} has no ${name} markers`)
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

/** Every `.md` file under `dir` (relative to the repository root), sorted. */
export async function markdownUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, dir), { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .sort()
}

/** A fenced code block: its info string, its text (indentation of the fence removed), its line. */
export interface CodeBlock {
  readonly info: string
  readonly text: string
  /** Line of the opening fence, 1-based. */
  readonly line: number
}

/** The fenced code blocks of a Markdown document whose info string starts with a shell name. */
export function shellBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[index]!)
    if (fence === null) continue
    const [, indent, marker, info] = fence as unknown as [string, string, string, string]
    const line = index + 1
    const body: string[] = []
    for (index++; index < lines.length; index++) {
      const inner = lines[index]!
      if (inner.trim().startsWith(marker) && inner.trim().replace(/[`~]/g, '') === '') break
      body.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart())
    }
    const language = info.trim().split(/\s+/)[0] ?? ''
    if (['sh', 'bash', 'shell', 'zsh', 'console'].includes(language)) {
      const text =
        language === 'console'
          ? body
              .filter((text) => text.startsWith('$ '))
              .map((text) => text.slice(2))
              .join('\n')
          : body.join('\n')
      blocks.push({ info: info.trim(), text, line })
    }
  }
  return blocks
}

/** Each line of a document outside fenced code blocks, with its line number (from 1). */
export function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = []
  let fence: string | undefined
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]
    if (marker !== undefined) {
      if (fence === undefined) fence = marker
      else if (marker.startsWith(fence)) fence = undefined
      return
    }
    if (fence === undefined) lines.push({ text, line: index + 1 })
  })
  return lines
}
