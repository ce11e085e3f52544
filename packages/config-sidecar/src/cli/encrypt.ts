import { readFile } from 'node:fs/promises'
import { encryptSecret } from '../document/crypto/index.js'
import { isSidecarError } from '../support/errors.js'

/**
 * `encrypt --key <jwks.json> [--kid <kid>] [--alg <alg>] [--enc <enc>] [--allow-empty] [value]`:
 * prints `{jwe}<compact JWE>` for the value given as an argument or on stdin (one trailing newline
 * from stdin is dropped). An empty value is refused (exit 2) unless `allowEmpty`. On a terminal it
 * first says, on stderr, that it reads stdin and how to end it; piped, it says nothing. The value
 * is never written anywhere but, encrypted, to stdout. `invocation` is how the user ran the CLI.
 */
export async function encrypt(options: {
  key?: string | undefined
  kid?: string | undefined
  alg?: string | undefined
  enc?: string | undefined
  allowEmpty?: boolean | undefined
  value?: string | undefined
  stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean | undefined }
  invocation: string
}): Promise<number> {
  if (options.key === undefined) {
    process.stderr.write(
      `config-sidecar encrypt: --key <public.jwks.json> is required (made by ${options.invocation} keygen)\n`,
    )
    return 2
  }
  const keySet = await readFile(options.key, 'utf8').catch(() => undefined)
  if (keySet === undefined) {
    process.stderr.write(`config-sidecar encrypt: cannot read ${options.key}\n`)
    return 2
  }
  const value = options.value ?? (await readStdin(options.stdin))
  if (value === '' && options.allowEmpty !== true) {
    process.stderr.write(
      `config-sidecar encrypt: the value is empty (${options.value === undefined ? 'nothing on stdin but at most a newline' : 'an empty argument'}): nothing encrypted (--allow-empty encrypts an empty string)\n`,
    )
    return 2
  }
  try {
    process.stdout.write(
      `${await encryptSecret(keySet, value, { kid: options.kid, alg: options.alg, enc: options.enc })}\n`,
    )
    return 0
  } catch (error) {
    process.stderr.write(
      `config-sidecar encrypt: ${isSidecarError(error) ? error.message : 'encryption failed'}\n`,
    )
    return 1
  }
}

/** The value from stdin, less one trailing newline; on a terminal, says first how to end it. */
async function readStdin(
  stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean | undefined },
): Promise<string> {
  if (stdin.isTTY === true) {
    // Someone typing: without this line the command looks hung. Piped input needs no prompt.
    process.stderr.write(
      'config-sidecar encrypt: reading the value from stdin: type it, press Enter, then Ctrl-D (Ctrl-C cancels)\n',
    )
  }
  return (await readAll(stdin)).replace(/\r?\n$/, '')
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}
