// What the page's badges say: never more than is known.
// Holds: badges(), used for the first paint (./render.ts) and for every live status (./relay.ts),
//   so the server and the browser never disagree. The browser only sets the texts it is sent.
// May import: types from ../sidecar-state.js. Never express, never got.
import type { SidecarStatus } from '../sidecar-state.js'

export type Tone = 'good' | 'warn' | 'bad' | 'unknown'

export interface Badge {
  readonly text: string
  readonly tone: Tone
}

export interface Badges {
  /** Is the sidecar there and ready? */
  readonly sidecar: Badge
  /** Is the config shown fresh? Undefined: the caller does not know whether a config is shown. */
  readonly config: Badge | undefined
  /** Next to the config badge: why it is not fresh (error code, key path), or empty. */
  readonly reason: string
  readonly version: string
  /**
   * The warning that the sidecar decrypts with the shipped demo key, which is public. A badge: it
   * does; null: it says it does not; undefined: not known (the page leaves what it shows).
   */
  readonly demoKey: Badge | null | undefined
  /** Next to the demo key badge: which kids, what it means and the way out; or empty. */
  readonly demoKeyReason: string
}

/**
 * - no status yet (nothing asked): "checking", never a red "unreachable" before a first try;
 * - no config: "no config yet", never "fresh";
 * - stale: "stale" with the sidecar's reason; "fresh" only when the sidecar says so;
 * - a sidecar that does not say (no /status): "not confirmed", with that as the reason;
 * - the shipped demo key in use: a "public demo key" warning, only when the sidecar says so.
 */
export function badges(status: SidecarStatus | undefined, hasConfig: boolean | undefined): Badges {
  const sidecar: Badge =
    status === undefined
      ? { text: 'checking', tone: 'unknown' }
      : status.reach === 'ready'
        ? { text: 'ready', tone: 'good' }
        : status.reach === 'not-ready'
          ? { text: 'not ready', tone: 'bad' }
          : { text: 'unreachable', tone: 'bad' }
  let config: Badge | undefined
  let reason = ''
  if (hasConfig === undefined) config = undefined
  else if (!hasConfig) config = { text: 'no config yet', tone: 'unknown' }
  else if (status === undefined) config = { text: 'checking', tone: 'unknown' }
  else if (status.reach === 'unreachable') {
    config = { text: 'last known', tone: 'warn' }
    reason = 'the sidecar does not answer: this is the last config the app received'
  } else if (status.stale === true) {
    config = { text: 'stale', tone: 'warn' }
    reason = status.reason ?? ''
  } else if (status.stale === false) config = { text: 'fresh', tone: 'good' }
  else {
    config = { text: 'not confirmed', tone: 'unknown' }
    reason = 'the sidecar has no /status, so the app cannot tell whether this config is fresh'
  }
  const demoKey: Badge | null | undefined =
    status?.demoKey === true
      ? { text: 'public demo key', tone: 'bad' }
      : status?.demoKey === false
        ? null
        : undefined
  const kids =
    status !== undefined && status.demoKeyIds.length > 0 ? ` (${status.demoKeyIds.join(', ')})` : ''
  const demoKeyReason =
    demoKey === undefined || demoKey === null
      ? ''
      : `the sidecar decrypts with the shipped demo key${kids}: it is public, so anything encrypted to it is readable by anyone with the repository. Make your own keys before storing a real secret (docs/deploy-cloud-foundry.md, docs/deploy-kubernetes.md).`
  return { sidecar, config, reason, version: status?.version ?? '—', demoKey, demoKeyReason }
}
