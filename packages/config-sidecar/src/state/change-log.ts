// The last changes of the served config, for `GET /changes?since=<etag>` and `lastChange` in
// /status: the paths each change named (state/changes.ts) and, for each config in between, the
// ETags that were served for it in any whole-document view (full, `?redact`, `?format=`). Only
// paths and ETags are kept: no document, no value.
import { changesBetween } from './changes.js'
import type { KeyChanges } from './changes.js'
import type { ServedConfig } from './served-config.js'

/** How many changes `GET /changes` looks back over. */
export const KEPT_CHANGES = 32

/** One accepted change of the served config. */
export interface ChangeRecord extends KeyChanges {
  /** When it was accepted (epoch ms). */
  readonly at: number
  readonly fromVersion: string
  readonly toVersion: string
  /** The full view's ETags before and after. */
  readonly fromEtag: string
  readonly toEtag: string
}

/** What changed since an ETag: every path named since, sorted, and the view the ETag was of. */
export interface ChangesSince {
  readonly keys: readonly string[]
  /** The view that ETag was served for (as given to {@link ChangeLog.served}); `json` for the full view. */
  readonly view: string
}

export interface ChangeLog {
  /** Takes `to` as the served config (after `from`, or the first); the change when the bytes differ. */
  accept(from: ServedConfig | undefined, to: ServedConfig, at: number): ChangeRecord | undefined
  /** The last change, if any. */
  last(): ChangeRecord | undefined
  /** Notes that `etag` was served for `config` in a whole-document view named `view`. */
  served(config: ServedConfig, view: string, etag: string): void
  /**
   * Every path named by a change since the config served with `etag` (in any view it was noted
   * for, or the full view); undefined when no config kept here had that ETag.
   */
  since(etag: string): ChangesSince | undefined
}

/** One config of the history: its full view's ETag and the ETags served for its other views. */
interface Node {
  readonly full: string
  readonly views: Map<string, string>
}

export function createChangeLog(): ChangeLog {
  /** nodes[i + 1] followed nodes[i] by changes[i]; the last node is the served config. */
  const nodes: Node[] = []
  const changes: ChangeRecord[] = []
  const nodeOf = new WeakMap<ServedConfig, Node>()

  const matches = (node: Node, etag: string): boolean => node.full === etag || node.views.has(etag)

  return {
    accept(from, to, at) {
      const current = nodes[nodes.length - 1]
      if (from !== undefined && current !== undefined && from.full.etag === to.full.etag) {
        // The same bytes under another version (a secret encrypted again): the same node.
        nodeOf.set(to, current)
        return undefined
      }
      const node: Node = { full: to.full.etag, views: new Map() }
      nodeOf.set(to, node)
      nodes.push(node)
      if (from === undefined || current === undefined) {
        nodes.splice(0, nodes.length - 1)
        changes.length = 0
        return undefined
      }
      const record: ChangeRecord = {
        at,
        fromVersion: from.version,
        toVersion: to.version,
        fromEtag: from.full.etag,
        toEtag: to.full.etag,
        ...changesBetween(from, to),
      }
      changes.push(record)
      if (changes.length > KEPT_CHANGES) {
        changes.shift()
        nodes.shift()
      }
      return record
    },
    last: () => changes[changes.length - 1],
    served(config, view, etag) {
      const node = nodeOf.get(config)
      if (node !== undefined && etag !== node.full && !node.views.has(etag))
        node.views.set(etag, view)
    },
    since(etag) {
      let index = nodes.length - 1
      while (index >= 0 && !matches(nodes[index]!, etag)) index -= 1
      if (index < 0) return undefined
      const found = nodes[index]!
      const view = found.views.get(etag) ?? 'json'
      // The client holds the bytes of the latest run of configs served with this ETag (a secret
      // changed under `?redact` keeps it); it may have read them at the run's first config.
      while (index > 0 && matches(nodes[index - 1]!, etag)) index -= 1
      const keys = new Set<string>()
      for (const change of changes.slice(index)) {
        for (const list of [change.added, change.removed, change.changed])
          for (const key of list) keys.add(key)
      }
      return { keys: [...keys].sort(), view }
    },
  }
}
