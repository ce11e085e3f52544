// The floor for the demo app's `GET /config`: a bare express + got proxy with nothing else in it
// (no logging, no timeout, no readiness, no headers of its own, got's defaults and Node's global
// keep-alive agent). Whatever the app costs beyond this is ours.
// Usage: node proxy-baseline.mjs <port> <sidecar port> <token>
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// express and got are the demo app's dependencies (pnpm does not hoist them to the root).
const require = createRequire(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'demo-app', 'package.json'),
)
const { default: express } = await import(pathToFileURL(require.resolve('express')).href)
const { default: got } = await import(pathToFileURL(require.resolve('got')).href)

const [port, sidecarPort, token] = process.argv.slice(2)
const app = express()
app.get('/config', async (_req, res) => {
  const answer = await got(`http://127.0.0.1:${sidecarPort}/config/?redact`, {
    headers: { authorization: `Bearer ${token}` },
    responseType: 'buffer',
    throwHttpErrors: false,
  })
  res.status(answer.statusCode).type('application/json').send(answer.body)
})
app.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'))
