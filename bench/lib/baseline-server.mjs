// The Node limit: a plain node:http server answering the same bytes as the sidecar — the same body
// and the same headers (ETag, X-Config-Version, X-Config-Stale, Age, Cache-Control) — with 304 for
// a matching If-None-Match. With `--minimal` it sends only the body, its type, length and ETag.
// Usage: node baseline-server.mjs <body-file> <etag> <version> <port> [--minimal]
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'

const [bodyFile, etag, version, port, mode] = process.argv.slice(2)
const body = readFileSync(bodyFile)
const minimal = mode === '--minimal'
const common = minimal
  ? ['etag', etag]
  : [
      'etag',
      etag,
      'x-config-version',
      version,
      'x-config-stale',
      'false',
      'age',
      '0',
      'cache-control',
      'no-store',
    ]
const full = [
  ...common,
  'content-type',
  'application/json; charset=utf-8',
  'content-length',
  String(body.length),
]

createServer((req, res) => {
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common)
    res.end()
    return
  }
  res.writeHead(200, full)
  res.end(body)
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'))
