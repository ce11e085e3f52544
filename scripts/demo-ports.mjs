// The three ports of `npm run demo` (scripts/demo.mjs), the settings that move them, and the checks
// that run before anything starts: each a valid port, no two alike, none in use. Every problem is
// one line naming the setting to change. The README's port table lists the same three.
import { createServer } from 'node:net'

/** The demo's ports: the setting, its default, the process that listens, and where it binds. */
export const DEMO_PORTS = [
  { setting: 'PORT', default: 8080, process: 'the demo app', hosts: [undefined, '127.0.0.1'] },
  {
    setting: 'CONFIG_SERVER_PORT',
    default: 8082,
    process: 'the config sidecar',
    hosts: ['127.0.0.1'],
  },
  {
    setting: 'DEV_CONFIG_PORT',
    default: 8888,
    process: 'the dev config server',
    hosts: ['127.0.0.1'],
  },
]

/** The port of each setting from the environment, or one line per bad or clashing value. */
export function readPorts(env) {
  const ports = {}
  const problems = []
  for (const { setting, default: fallback } of DEMO_PORTS) {
    const raw = env[setting]
    if (raw === undefined || raw === '') {
      ports[setting] = fallback
    } else if (/^\d{1,5}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 65_535) {
      ports[setting] = Number(raw)
    } else {
      problems.push(`${setting} must be a port number from 1 to 65535 (got ${JSON.stringify(raw)})`)
    }
  }
  const settings = Object.keys(ports)
  for (const [index, setting] of settings.entries()) {
    const other = settings.slice(0, index).find((earlier) => ports[earlier] === ports[setting])
    if (other !== undefined) {
      problems.push(
        `${other} and ${setting} are both ${ports[setting]}: set ${setting} to another port`,
      )
    }
  }
  return { ports, problems }
}

/** Resolves with the error code when `port` cannot be bound on `host` (undefined: every address). */
function bindError(port, host) {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error) => resolve(error.code ?? String(error)))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/** The line to print for a port its process cannot bind, naming the setting; undefined when free. */
export async function portProblem(setting, port) {
  const { hosts } = DEMO_PORTS.find((entry) => entry.setting === setting)
  for (const host of hosts) {
    const code = await bindError(port, host)
    if (code === undefined) continue
    return describeBindError(setting, port, code)
  }
  return undefined
}

/** One line for a port that could not be bound, with the setting that moves it. */
export function describeBindError(setting, port, code) {
  const other = port + 10 <= 65_535 ? port + 10 : port - 10
  const fix = `set ${setting} to another port (${setting}=${other} npm run demo)`
  if (code === 'EADDRINUSE') return `port ${port} is in use: ${fix}`
  if (code === 'EACCES') return `port ${port} needs privileges: ${fix}`
  return `port ${port} cannot be used (${code}): ${fix}`
}
