import { request } from 'node:http'

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** An HTTP request with full control of the headers (fetch() will not send a custom Host). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Reads Server-Sent Events from a response body, one parsed event at a time. */
export function eventReader(response: Response): {
  next(timeoutMs?: number): Promise<{ event: string; id: string | undefined; data: string }>
  close(): void
} {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  // A read that outlived a timeout is kept, so its chunk is not lost to the next call.
  let pending: Promise<ReadableStreamReadResult<string>> | undefined
  return {
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let event = 'message'
          let id: string | undefined
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('id: ')) id = line.slice(4)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length > 0) return { event, id, data: data.join('\n') }
        }
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new Error('no event in time')
        pending ??= reader.read()
        let timer: NodeJS.Timeout | undefined
        const chunk = await Promise.race([
          pending,
          new Promise<never>(
            (_, reject) =>
              (timer = setTimeout(() => reject(new Error('no event in time')), remaining)),
          ),
        ]).finally(() => clearTimeout(timer))
        pending = undefined
        if (chunk.done) throw new Error('stream ended')
        buffer += chunk.value
      }
    },
    close() {
      void reader.cancel().catch(() => undefined)
    },
  }
}
