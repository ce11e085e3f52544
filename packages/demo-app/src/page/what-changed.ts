// The page's "what changed" list: one line per change, naming the paths it added, removed and
// changed (never a value: the sidecar sends none).
// Holds: describeChange, used for the first paint (./render.ts) and, as its source text, by the
//   page's script (./browser.ts), so that both write the same line. It stays self-contained (no
//   import, nothing from outside its body): the browser runs its text.
// May import: nothing.

/** The paths of one change, as the sidecar's `changes` event names them. */
export interface ChangedPaths {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly string[]
}

/** `changed greeting; added a.b, a.c and 3 more`: at most 8 paths a list. */
export function describeChange(change: ChangedPaths): string {
  const shown = 8
  const parts: string[] = []
  const lists: [string, readonly string[]][] = [
    ['changed', change.changed],
    ['added', change.added],
    ['removed', change.removed],
  ]
  for (const [word, paths] of lists) {
    if (paths.length === 0) continue
    const more = paths.length > shown ? ` and ${paths.length - shown} more` : ''
    parts.push(`${word} ${paths.slice(0, shown).join(', ')}${more}`)
  }
  return parts.length === 0
    ? 'no key changed (the same values, written differently)'
    : parts.join('; ')
}
