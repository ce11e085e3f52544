// What the app knows about the sidecar beside it: is it ready, is its config fresh, and if not, why.
// Holds: readiness (for the app's GET /readyz) and the status the page shows, both asked through
//   the SidecarClient, with the fallbacks for a sidecar that lacks /readyz or /status (the original
//   Go sample's sidecar serves /config/ and nothing else).
// May import: types from ./sidecar-client.js, @sample/shared. Never express, never got.
import { SIDECAR_PATHS } from '@sample/shared'
import type { Logger } from '@sample/shared'
import type { SidecarClient } from './sidecar-client.js'

/** What the page may claim about the sidecar; null where the sidecar does not say. */
export interface SidecarStatus {
  readonly reach: 'ready' | 'not-ready' | 'unreachable'
  /** The config's version (the upstream's, or a hash of the bytes as fetched: never of secrets). */
  readonly version: string | null
  /** True when the sidecar cannot confirm its config with the source; null: it does not say. */
  readonly stale: boolean | null
  /** Why it is stale: error code, key path and message as the sidecar's /status gives them. */
  readonly reason: string | null
  /**
   * True when the sidecar decrypts with the shipped demo key, which is public (anything encrypted
   * to it is readable by anyone); null: it does not say (unreachable, or a sidecar without it).
   */
  readonly demoKey: boolean | null
  /** The kids of the demo keys in use, as the sidecar names them (short, at most a few). */
  readonly demoKeyIds: readonly string[]
}

export interface SidecarState {
  /** True while the sidecar is ready; rejects when it does not answer. */
  ready(): Promise<boolean>
  /** Never rejects: a sidecar that does not answer is `unreachable`. */
  status(): Promise<SidecarStatus>
}

/** Longest reason shown on the page. */
const MAX_REASON = 300
/** Most demo kids shown, and the longest. */
const MAX_DEMO_KIDS = 8
const MAX_KID = 80

export function createSidecarState(sidecar: SidecarClient, logger: Logger): SidecarState {
  let saidNoReadyz = false

  const ready = async (): Promise<boolean> => {
    const answer = await sidecar.get(SIDECAR_PATHS.readyz)
    if (answer.status !== 404) return answer.status === 200
    if (!saidNoReadyz) {
      saidNoReadyz = true
      logger.info(
        'the sidecar has no /readyz: the app counts it ready while its /config/ answers 200',
      )
    }
    const config = await sidecar.get(`${SIDECAR_PATHS.config}?redact`)
    return config.status === 200 && config.body.length > 0
  }

  return {
    ready,
    async status() {
      try {
        const answer = await sidecar.get(SIDECAR_PATHS.status)
        const body = answer.status === 200 ? parseObject(answer.body) : undefined
        if (body !== undefined && typeof body['ready'] === 'boolean') {
          const stale = body['stale'] === true
          return {
            reach: body['ready'] ? 'ready' : 'not-ready',
            version: typeof body['version'] === 'string' ? body['version'] : null,
            stale,
            reason: stale ? reasonOf(body) : null,
            ...demoKeyOf(body),
          }
        }
        // No /status we can read: readiness is all the sidecar tells.
        return {
          reach: (await ready()) ? 'ready' : 'not-ready',
          version: null,
          stale: null,
          reason: null,
          demoKey: null,
          demoKeyIds: [],
        }
      } catch {
        return {
          reach: 'unreachable',
          version: null,
          stale: null,
          reason: null,
          demoKey: null,
          demoKeyIds: [],
        }
      }
    },
  }
}

/** `ERR_SECRET_KEY_NOT_FOUND at payments.apiKey: secret at payments.apiKey names kid …` */
function reasonOf(body: Record<string, unknown>): string {
  const error = body['lastError']
  let reason: string
  if (typeof error === 'object' && error !== null) {
    const { code, path, message } = error as Record<string, unknown>
    reason = [
      typeof code === 'string' ? code : 'error',
      typeof path === 'string' ? ` at ${path}` : '',
      typeof message === 'string' ? `: ${message}` : '',
    ].join('')
  } else if (body['fromSnapshot'] === true) {
    reason = 'served from the snapshot of an earlier run; the source has not confirmed it yet'
  } else {
    reason = 'the sidecar gives no reason'
  }
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason
}

/** `demoKey` and `demoKeyIds` of the sidecar's /status; null when it does not say. */
function demoKeyOf(body: Record<string, unknown>): Pick<SidecarStatus, 'demoKey' | 'demoKeyIds'> {
  const said = body['demoKey']
  if (typeof said !== 'boolean') return { demoKey: null, demoKeyIds: [] }
  const ids = Array.isArray(body['demoKeyIds']) ? (body['demoKeyIds'] as unknown[]) : []
  return {
    demoKey: said,
    demoKeyIds: ids
      .filter((id): id is string => typeof id === 'string')
      .slice(0, MAX_DEMO_KIDS)
      .map((id) => (id.length > MAX_KID ? `${id.slice(0, MAX_KID - 1)}…` : id)),
  }
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
