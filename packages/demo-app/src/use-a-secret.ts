// HOW AN APP USES A SECRET, the right way (workshop exercise 3).
//
// The app's own process asks the sidecar for the FULL view (secrets decrypted) of one key, on
// 127.0.0.1 with the token, and hands the value to the code that needs it: a database driver, an
// API client. The value stays in this process:
//   - it is never served: GET /config and the page ask for the redacted view (`/config/?redact`);
//   - it is never logged: the log line names the key, never the value, not even its length.
// main.ts reads `database.password` at start-up this way. An app that must follow a rotated value
// reads it again when the config changes (a long poll with `?wait=`, or the event stream).
//
// Holds: readSecretAtStart. May import: types from ./sidecar-client.js, @sample/shared.
// Never express, never got.
import type { Logger } from '@sample/shared'
import type { SidecarClient } from './sidecar-client.js'

export interface SecretReading {
  /** Settles once the value was handed over, or the config has no such key, or stop() was called. */
  readonly done: Promise<void>
  stop(): void
}

/**
 * Reads the secret at `key` (a dotted path such as `database.password`) from the sidecar and calls
 * `use` with it, once. While the sidecar is not up or not ready, tries again every `retryMs`.
 */
export function readSecretAtStart(deps: {
  readonly sidecar: SidecarClient
  readonly logger: Logger
  readonly key: string
  readonly use: (value: string) => void
  readonly retryMs?: number
}): SecretReading {
  const { sidecar, logger, key } = deps
  // `/config/<a>/<b>`: one value of the full view (no `?redact`), so only this secret is fetched.
  const path = `/config/${key.split('.').map(encodeURIComponent).join('/')}`
  let stopped = false
  let saidWaiting = false
  let timer: NodeJS.Timeout | undefined
  let finish = (): void => undefined
  const done = new Promise<void>((resolve) => (finish = resolve))

  const attempt = async (): Promise<void> => {
    let reason: string
    try {
      const answer = await sidecar.get(path)
      if (stopped) return
      if (answer.status === 404) {
        logger.info(`no secret at ${key} in the config: the app goes on without it`)
        return finish()
      }
      const value: unknown = answer.status === 200 ? parse(answer.body) : undefined
      if (typeof value === 'string') {
        deps.use(value) // to the app's own code, and nowhere else
        logger.info(`read secret ${key} from the sidecar (the value is not logged)`, { key })
        return finish()
      }
      reason = answer.status === 200 ? 'not a string value' : `HTTP ${answer.status}`
    } catch (error) {
      const code = (error as { code?: unknown }).code // a network error's code, never a message
      reason = typeof code === 'string' ? code : 'no answer'
    }
    if (stopped) return
    if (!saidWaiting) {
      saidWaiting = true
      logger.info(`waiting for the sidecar to read secret ${key}`, { key, reason })
    }
    timer = setTimeout(() => void attempt(), deps.retryMs ?? 2000)
    timer.unref()
  }
  void attempt()

  return {
    done,
    stop() {
      stopped = true
      clearTimeout(timer)
      finish()
    },
  }
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
