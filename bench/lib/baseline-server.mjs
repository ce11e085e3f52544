// The Node limit: a plain node:http server answering the same bytes and ETag as the sidecar,
// with 304 for a matching If-None-Match. Usage: node baseline-server.mjs <body-file> <etag> <port>
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'

const [bodyFile, etag, port] = process.argv.slice(2)
const body = readFileSync(bodyFile)
createServer((req, res) => {
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag })
    res.end()
    return
  }
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    etag,
  })
  res.end(body)
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'))
