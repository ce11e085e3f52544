import { STATUS_CODES } from 'node:http'
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'

/** How long a refused connection is read (and the bytes dropped) before it is closed outright. */
const LINGER_MS = 1000

// The answers Node gives by default, byte for byte: only the way the connection closes changes.
const ANSWERS = new Map<string | undefined, number>([
  ['HPE_HEADER_OVERFLOW', 431],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
  ['ERR_HTTP_REQUEST_TIMEOUT', 408],
])

function answerFor(code: string | undefined): string {
  const status = ANSWERS.get(code) ?? 400
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`
}

/**
 * Answers a request that Node's parser refused (431 for a header block past the limit, 408 for
 * one too slow, 400 for bytes that are not HTTP) and closes the connection in stages, as RFC 9112
 * §9.6 asks. Node's default writes the answer and closes at once; when the client is still
 * sending (the rest of a long header block), the kernel then answers its bytes with a reset, and
 * a reset can reach the client before it has read the answer: it sees ECONNRESET, not the 431.
 * Here the answer goes out with a FIN, the connection is read on (the bytes dropped: the parser
 * refuses each further chunk, which lands here again) until the client closes its side, and is
 * closed outright after `lingerMs` if it never does.
 *
 * A connection with a response still in flight (a request pipelined behind a long poll) is closed
 * at once, as Node does once that response has started: a status line written into it would
 * corrupt it. Node's record of that response is the socket's `_httpMessage`, which Node's own
 * default handler reads (lib/_http_server.js, socketOnError); it is read here too because
 * following every response from the outside (a `request` listener and a `close` listener per
 * response) cost 5–10 % of the throughput at 50 connections (bench/run.mjs --only throughput).
 */
export function closeRefusedConnectionsInStages(server: Server, lingerMs = LINGER_MS): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: HttpSocket) => {
    // Already answered: the parser refusing the next chunk of a connection being drained.
    if (socket.writableEnded && !socket.destroyed) return
    if (!socket.writable || socket._httpMessage) {
      socket.destroy()
      return
    }
    socket.end(answerFor(error.code))
    setTimeout(() => socket.destroy(), lingerMs).unref()
  })
}

/** A server-side connection as Node's HTTP server keeps it: the response being written, if any. */
interface HttpSocket extends Duplex {
  readonly _httpMessage?: object | null
}
