// The dev config server inside the test's own process (`startInProcessDevConfigServer`): a real
// server on 127.0.0.1, port 0, with its log captured; and `sourcesOf`, the property sources of its
// Spring environment answer.
import { createDevConfigServer, createLogger } from '../packages/dev-config-server/src/server.js'
import type { DevConfigServerOptions } from '../packages/dev-config-server/src/server.js'

export interface InProcessDevConfigServer {
  readonly url: string
  readonly port: number
  /** Every log line so far, joined. */
  readonly log: () => string
  get(path: string, headers?: Record<string, string>): Promise<Response>
  stop(): Promise<void>
}

/** Starts a dev config server in this process on port 0, logging at debug level. */
export async function startInProcessDevConfigServer(
  options: Omit<DevConfigServerOptions, 'logger' | 'port'>,
): Promise<InProcessDevConfigServer> {
  const lines: string[] = []
  const server = createDevConfigServer({
    ...options,
    port: 0,
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
  })
  const { url, port } = await server.start()
  return {
    url,
    port,
    log: () => lines.join(''),
    get: (path, headers = {}) => fetch(`${url}${path}`, { headers }),
    stop: () => server.stop(),
  }
}

/** The environment body's sources as [name, source] pairs, highest precedence first. */
export function sourcesOf(environment: {
  propertySources: { name: string; source: Record<string, unknown> }[]
}): [string, Record<string, unknown>][] {
  return environment.propertySources.map((source) => [source.name, source.source])
}
