import { lstat } from 'node:fs/promises'
import { generateKeySet } from '../document/crypto/index.js'
import type { KeyKind } from '../document/crypto/index.js'
import { writeFileAtomic } from '../support/atomic-file.js'

/**
 * `keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>] [--force]`: writes
 * `<prefix>.private.jwks.json` (mode 0600, for CONFIG_KEYS) and `<prefix>.public.jwks.json` (for
 * `encrypt`, safe to share). Refuses (exit 2, nothing written) when either file exists, unless
 * `force`. Prints the two paths and the kid, never the key. `invocation` is how the user ran the
 * CLI (`node dist/push/sidecar/main.mjs`), for the hint that names `encrypt`.
 */
export async function keygen(options: {
  type?: string | undefined
  kid?: string | undefined
  out?: string | undefined
  force?: boolean | undefined
  invocation: string
}): Promise<number> {
  const type = (options.type ?? 'rsa') as KeyKind
  if (type !== 'rsa' && type !== 'ec') {
    process.stderr.write(
      'config-sidecar keygen: --type must be rsa (RSA-OAEP-256) or ec (ECDH-ES+A256KW on P-256)\n',
    )
    return 2
  }
  const force = options.force === true
  // With --out, refuse before the slow part (an RSA 3072 key takes about a second); the default
  // name holds the kid, known only once the key is made. Checked again just before writing.
  if (options.out !== undefined && !force && (await refuseExisting(options.out))) return 2
  const keys = await generateKeySet(type, options.kid)
  const prefix = options.out ?? `config-keys-${keys.kid}`
  if (!force && (await refuseExisting(prefix))) return 2
  const { privatePath, publicPath } = pathsOf(prefix)
  await writeFileAtomic(privatePath, `${JSON.stringify(keys.privateJwks, null, 2)}\n`)
  // The public set is safe to share: readable by others (0644 less the umask), written whole too.
  await writeFileAtomic(publicPath, `${JSON.stringify(keys.publicJwks, null, 2)}\n`, {
    mode: 0o644,
  })
  process.stdout.write(
    `${JSON.stringify({ kid: keys.kid, alg: keys.alg, private: privatePath, public: publicPath })}\n` +
      `private key set (mode 0600, give it to the sidecar as CONFIG_KEYS=file:${privatePath}): ${privatePath}\n` +
      `public key set (for ${options.invocation} encrypt --key): ${publicPath}\n`,
  )
  return 0
}

function pathsOf(prefix: string): { privatePath: string; publicPath: string } {
  return { privatePath: `${prefix}.private.jwks.json`, publicPath: `${prefix}.public.jwks.json` }
}

/**
 * True, after one line on stderr, when either key file of `prefix` exists (as anything, a dangling
 * symlink included): a key replaced by mistake leaves every secret encrypted to it unreadable.
 */
async function refuseExisting(prefix: string): Promise<boolean> {
  const { privatePath, publicPath } = pathsOf(prefix)
  const present = await Promise.all(
    [privatePath, publicPath].map((path) =>
      lstat(path).then(
        () => path,
        () => undefined,
      ),
    ),
  )
  const existing = present.filter((path) => path !== undefined)
  if (existing.length === 0) return false
  process.stderr.write(
    `config-sidecar keygen: ${existing.join(' and ')} ${existing.length === 1 ? 'exists' : 'exist'}: nothing written (--force replaces both key files; or choose another --out)\n`,
  )
  return true
}
