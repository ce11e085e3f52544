// Decryption cost per secret, through the sidecar's real path (prepareConfig: parse, walk, decrypt),
// for each key family at 10, 100 and 1,000 secrets in one document, side by side with the raw
// primitive the secret cannot do without, measured in the same run: one RSA private decrypt
// (privateDecrypt with a KeyObject made once) for RSA, one ECDH (diffieHellman with KeyObjects made
// once) for ECDH-ES. The target: a secret costs at most 1.3× its primitive. Then a refresh in which
// no secret changed (nothing is decrypted), and which implementation each family runs on:
// node:crypto, WebCrypto or JavaScript (node-forge and node-jose's own big-number code), counted by
// wrapping those functions.
//   npx tsc -b && node bench/decrypt.mjs [--quick]
// Secrets are made with jose (panva), an independent library, from keys made at run time.
import { existsSync } from 'node:fs'
import nodeCrypto from 'node:crypto'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sidecarPackage = join(root, 'packages', 'config-sidecar')
const dist = join(sidecarPackage, 'dist')
const requireFromSidecar = createRequire(join(sidecarPackage, 'package.json'))

const FAMILIES = [
  { alg: 'RSA-OAEP-256', key: 'rsa' },
  { alg: 'RSA-OAEP', key: 'rsa' },
  { alg: 'ECDH-ES', key: 'ec' },
  { alg: 'ECDH-ES+A128KW', key: 'ec' },
  { alg: 'ECDH-ES+A256KW', key: 'ec' },
  { alg: 'A256KW', key: 'oct' },
  { alg: 'dir', key: 'oct' },
]
const ENC = 'A256GCM'
/** A secret may cost at most this many times its raw primitive (RSA private decrypt, ECDH). */
const TARGET_RATIO = 1.3

/** Median of numbers. */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const table = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')

async function loadModules() {
  const cryptoPath = join(dist, 'document', 'crypto', 'index.js')
  const preparePath = join(dist, 'document', 'prepare.js')
  if (!existsSync(cryptoPath) || !existsSync(preparePath)) {
    throw new Error(`${dist} is missing or incomplete: build first (npm run build)`)
  }
  const crypto = await import(pathToFileURL(cryptoPath).href)
  const pipeline = await import(pathToFileURL(preparePath).href)
  const jose = await import(pathToFileURL(requireFromSidecar.resolve('jose')).href)
  return { ...crypto, prepareConfig: pipeline.prepareConfig, jose }
}

/** Keys as users make them: `keygen` (RSA 3072, EC P-256) and a random 256-bit oct key. */
async function makeKeys(modules) {
  // keygen writes `alg` into each JWK, which limits a key to that one algorithm; the bench uses
  // one RSA key for both RSA-OAEP variants, so the field is left out.
  const withoutAlg = (jwk) =>
    Object.fromEntries(Object.entries(jwk).filter(([name]) => name !== 'alg'))
  const rsa = await modules.generateKeySet('rsa', 'bench-rsa')
  const ec = await modules.generateKeySet('ec', 'bench-ec')
  const octKey = (kid, bytes) => {
    const jwk = { kty: 'oct', kid, k: nodeCrypto.randomBytes(bytes).toString('base64url') }
    return { private: jwk, public: jwk }
  }
  const keys = {
    rsa: {
      private: withoutAlg(rsa.privateJwks.keys[0]),
      public: withoutAlg(rsa.publicJwks.keys[0]),
    },
    ec: { private: withoutAlg(ec.privateJwks.keys[0]), public: withoutAlg(ec.publicJwks.keys[0]) },
    oct: octKey('bench-oct', 32),
    // `dir` with A256CBC-HS512 needs a 512-bit key.
    oct512: octKey('bench-oct-512', 64),
  }
  const keySet = JSON.stringify({ keys: Object.values(keys).map((key) => key.private) })
  return { keys, decryptor: await modules.createDecryptor(keySet, 'bench keys') }
}

/** `count` distinct secrets (a document decrypts each distinct token once). */
async function makeSecrets(modules, key, alg, count, enc = ENC) {
  const { kid, ...jwk } = key.public
  const encoder = new TextEncoder()
  const secrets = []
  for (let index = 0; index < count; index += 1) {
    const compact = await new modules.jose.CompactEncrypt(
      encoder.encode(`secret-value-${index}-${nodeCrypto.randomBytes(12).toString('hex')}`),
    )
      .setProtectedHeader({ alg, enc, kid })
      .encrypt(jwk)
    secrets.push(`{jwe}${compact}`)
  }
  return secrets
}

/** A document like a service's config: some plain values and `secrets.length` secrets. */
function documentWith(secrets) {
  return Buffer.from(
    JSON.stringify({
      app: { name: 'bench', region: 'eu-west-1', replicas: 3 },
      features: { darkMode: true, newCheckout: false },
      secrets: Object.fromEntries(secrets.map((secret, index) => [`secret${index}`, secret])),
    }),
  )
}

/**
 * The primitive a secret of this family cannot do without, as one raw node:crypto call with keys
 * made once, outside the sidecar: RSA-OAEP private decrypt of a real token's encrypted key, or ECDH
 * of the private key with a real token's ephemeral public key. Undefined for `oct` keys (no target).
 */
function rawPrimitive(family, keys, secret) {
  const [protectedPart, encryptedKey] = secret.slice('{jwe}'.length).split('.')
  if (family.key === 'rsa') {
    const key = nodeCrypto.createPrivateKey({ key: keys.rsa.private, format: 'jwk' })
    const options = {
      key,
      padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: family.alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1',
    }
    const data = Buffer.from(encryptedKey, 'base64url')
    return {
      label: `privateDecrypt (RSA 3072, ${options.oaepHash})`,
      run: () => nodeCrypto.privateDecrypt(options, data),
    }
  }
  if (family.key === 'ec') {
    const { epk } = JSON.parse(Buffer.from(protectedPart, 'base64url').toString('utf8'))
    const options = {
      privateKey: nodeCrypto.createPrivateKey({ key: keys.ec.private, format: 'jwk' }),
      publicKey: nodeCrypto.createPublicKey({ key: epk, format: 'jwk' }),
    }
    // What no ECDH-ES token can skip, for comparison: its ephemeral point is new every time, so it
    // is decoded and checked on the curve each time (ECDH.computeSecret does both, with the private
    // key set once; the decryptor uses it).
    const ecdh = nodeCrypto.createECDH('prime256v1')
    ecdh.setPrivateKey(Buffer.from(keys.ec.private.d, 'base64url'))
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(epk.x, 'base64url'),
      Buffer.from(epk.y, 'base64url'),
    ])
    return {
      label: 'diffieHellman (P-256)',
      run: () => nodeCrypto.diffieHellman(options),
      floor: () => ecdh.computeSecret(point),
    }
  }
  return undefined
}

/** µs per call of `run`, over `count` calls. */
function timeRaw(run, count) {
  const started = process.hrtime.bigint()
  for (let index = 0; index < count; index += 1) run()
  return Number(process.hrtime.bigint() - started) / 1e3 / count
}

async function timePrepare(modules, decryptor, body, previous, expected) {
  const started = process.hrtime.bigint()
  const prepared = await modules.prepareConfig(
    { documents: [{ body, contentType: 'application/json' }] },
    { where: 'bench', decryptor, previous },
  )
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (prepared.decrypted !== expected) {
    throw new Error(`expected ${expected} decryptions, got ${prepared.decrypted}`)
  }
  return { ms, prepared }
}

/**
 * Counts calls into node:crypto, WebCrypto and the JavaScript fallbacks node-jose ships (node-forge
 * and its own elliptic-curve code) while `run` executes; everything is unwrapped afterwards.
 */
async function countCalls(run) {
  const joseDir = dirname(requireFromSidecar.resolve('node-jose'))
  const requireFromJose = createRequire(join(joseDir, 'index.js'))
  const forge = requireFromJose('./deps/forge.js')
  const ecc = requireFromJose('./deps/ecc/index.js')
  const subtle = Object.getPrototypeOf(globalThis.crypto.subtle)
  const targets = [
    ...[
      'privateDecrypt',
      'createECDH',
      'diffieHellman',
      'createDecipheriv',
      'createHmac',
      'createHash',
      'createPrivateKey',
      'createPublicKey',
      'createSecretKey',
      'hash',
    ].map((name) => ({ kind: 'node:crypto', owner: nodeCrypto, name })),
    {
      kind: 'node:crypto',
      owner: nodeCrypto.ECDH.prototype,
      name: 'computeSecret',
      label: 'ECDH computeSecret',
    },
    ...['importKey', 'decrypt', 'deriveBits', 'unwrapKey', 'digest', 'sign', 'verify'].map(
      (name) => ({ kind: 'WebCrypto', owner: subtle, name }),
    ),
    { kind: 'JS', owner: forge.pki.rsa, name: 'setPrivateKey', label: 'forge RSA key' },
    { kind: 'JS', owner: forge.cipher, name: 'createDecipher', label: 'forge AES' },
    { kind: 'JS', owner: forge.hmac, name: 'create', label: 'forge HMAC' },
    ...['sha1', 'sha256', 'sha512'].map((md) => ({
      kind: 'JS',
      owner: forge.md[md],
      name: 'create',
      label: `forge ${md}`,
    })),
    { kind: 'JS', owner: ecc, name: 'asPublicKey', label: 'EC point check (jsbn)' },
  ]
  const counts = new Map()
  const originals = targets.map((target) => target.owner[target.name])
  targets.forEach((target, index) => {
    const original = originals[index]
    const label = target.label ?? target.name
    target.owner[target.name] = function counted(...args) {
      const key = `${target.kind}\t${label}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
      return original.apply(this, args)
    }
  })
  syncBuiltinESMExports()
  try {
    await run()
  } finally {
    targets.forEach((target, index) => (target.owner[target.name] = originals[index]))
    syncBuiltinESMExports()
  }
  const byKind = { 'node:crypto': [], WebCrypto: [], JS: [] }
  for (const [key, count] of counts) {
    const [kind, label] = key.split('\t')
    byKind[kind].push(count === 1 ? label : `${label} ×${count}`)
  }
  return byKind
}

/**
 * Runs the benchmark and prints it as markdown. Returns the timing rows and the implementation rows.
 * `quick` measures 10 and 50 secrets in one round (a few seconds); the full run takes about half a
 * minute on two cores, most of it RSA.
 */
export async function runDecryptBench({
  quick = false,
  print = (line = '') => process.stdout.write(`${line}\n`),
} = {}) {
  const modules = await loadModules()
  const { keys, decryptor } = await makeKeys(modules)
  const sizes = quick ? [10, 50] : [10, 100, 1000]
  const cpu = cpus()
  print(
    `Machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, Node ${process.version} (OpenSSL ${process.versions.openssl}). ` +
      `Keys: RSA 3072 and EC P-256 from \`config-sidecar keygen\`, a 256-bit oct key; enc ${ENC}; ` +
      `secrets made by jose. ${quick ? '1 round' : '3 rounds (RSA) or 11 (the others), medians'}; each ` +
      `prepareConfig is timed between two runs of the raw primitive and its ratio taken per round.` +
      `${quick ? ' Quick run: indicative only.' : ''}`,
  )
  print()

  // Warm-up: JIT, node-jose's load (the first decryption waits for it).
  for (const family of FAMILIES) {
    const warm = await makeSecrets(modules, keys[family.key], family.alg, 3)
    await timePrepare(modules, decryptor, documentWith(warm), new Map(), 3)
  }

  const rows = []
  for (const family of FAMILIES) {
    const bodies = []
    let raw
    for (const size of sizes) {
      const secrets = await makeSecrets(modules, keys[family.key], family.alg, size)
      raw ??= rawPrimitive(family, keys, secrets[0])
      bodies.push({ size, body: documentWith(secrets), tokens: secrets.map((x) => x.slice(5)) })
    }
    // The VM this runs on is shared: each prepareConfig is timed between two runs of the raw
    // primitive (as many calls as the document has secrets, at most 100 RSA or 1,000 ECDH calls),
    // and the ratio is taken per round, so a burst of load from elsewhere hits both sides. The
    // decryptor alone (decrypt() on the same tokens, no document around them) is timed too, to
    // tell the decryption's own cost from the document's (parse, walk, size checks).
    const familyRounds = quick ? 1 : family.key === 'rsa' ? 3 : 11
    if (raw !== undefined) timeRaw(raw.run, family.key === 'rsa' ? 10 : 100) // warm-up
    const rawUs = []
    const measured = []
    for (const { size, body, tokens } of bodies) {
      const rawCount = Math.min(size, family.key === 'rsa' ? 100 : 1000)
      const alone = tokens.slice(0, rawCount)
      const full = []
      const unchanged = []
      const ratios = []
      const decryptUs = []
      const decryptRatios = []
      const floorUs = []
      for (let round = 0; round < familyRounds; round += 1) {
        const before = raw === undefined ? Number.NaN : timeRaw(raw.run, rawCount)
        const first = await timePrepare(modules, decryptor, body, new Map(), size)
        const after = raw === undefined ? Number.NaN : timeRaw(raw.run, rawCount)
        if (raw?.floor !== undefined) floorUs.push(timeRaw(raw.floor, rawCount))
        const started = process.hrtime.bigint()
        for (const token of alone) await decryptor.decrypt(token)
        const decrypt = Number(process.hrtime.bigint() - started) / 1e3 / alone.length
        const again = await timePrepare(modules, decryptor, body, first.prepared.secrets, 0)
        full.push(first.ms)
        unchanged.push(again.ms)
        rawUs.push(before, after)
        ratios.push((first.ms * 1000) / size / ((before + after) / 2))
        decryptUs.push(decrypt)
        decryptRatios.push(decrypt / ((before + after) / 2))
      }
      measured.push({
        secrets: size,
        documentMs: median(full),
        usPerSecret: (median(full) * 1000) / size,
        unchangedMs: median(unchanged),
        ratio: median(ratios),
        decryptUs: median(decryptUs),
        decryptRatio: median(decryptRatios),
        floorUs: median(floorUs),
      })
    }
    rows.push({
      alg: family.alg,
      enc: ENC,
      rounds: familyRounds,
      primitive: raw?.label,
      rawUs: raw === undefined ? undefined : median(rawUs),
      sizes: measured,
    })
  }

  const largest = (row) => row.sizes.at(-1)
  print(
    table(
      [
        'alg',
        `µs per secret, prepareConfig at ${sizes.map((size) => size.toLocaleString('en')).join(' / ')} secrets`,
        'raw primitive, same run (µs per op)',
        `ratio at ${sizes.join(' / ')} (median of the rounds' ratios)`,
        `target ≤ ${TARGET_RATIO}× (at ${largest(rows[0]).secrets.toLocaleString('en')})`,
        `decrypt() alone, no document: µs per secret (ratio), at ${largest(rows[0]).secrets.toLocaleString('en')}`,
        'ECDH with the token’s point decoded and checked (computeSecret): µs; prepareConfig ÷ it',
      ],
      rows.map((row) => [
        row.alg,
        row.sizes.map((at) => `**${fixed(at.usPerSecret, 0)}**`).join(' / '),
        row.rawUs === undefined ? '— (no target)' : `${fixed(row.rawUs, 0)} ${row.primitive}`,
        row.rawUs === undefined ? '—' : row.sizes.map((at) => `${fixed(at.ratio, 2)}×`).join(' / '),
        row.rawUs === undefined ? '—' : largest(row).ratio <= TARGET_RATIO ? 'met' : 'not met',
        `${fixed(largest(row).decryptUs, 0)}${row.rawUs === undefined ? '' : ` (${fixed(largest(row).decryptRatio, 2)}×)`}`,
        Number.isFinite(largest(row).floorUs)
          ? `${fixed(largest(row).floorUs, 0)}; ${fixed(largest(row).usPerSecret / largest(row).floorUs, 2)}×`
          : '—',
      ]),
    ),
  )
  print()
  print(
    table(
      [
        'alg',
        'secrets in the document',
        'document ms',
        'refresh, no secret changed: ms (0 decrypted)',
      ],
      rows.flatMap((row) =>
        row.sizes.map((at) => [
          row.alg,
          String(at.secrets),
          fixed(at.documentMs, 1),
          fixed(at.unchangedMs, 2),
        ]),
      ),
    ),
  )
  print()

  // Which implementation each family decrypts with, after warm-up.
  const variants = [
    ...FAMILIES.map((family) => ({ ...family, enc: ENC })),
    { alg: 'dir', key: 'oct512', enc: 'A256CBC-HS512' },
    { alg: 'ECDH-ES', key: 'ec', enc: 'A256CBC-HS512' },
  ]
  const implementations = []
  for (const variant of variants) {
    const key = keys[variant.key]
    if (variant.enc !== ENC) {
      const warm = await makeSecrets(modules, key, variant.alg, 1, variant.enc)
      await decryptor.decrypt(warm[0].slice(5))
    }
    const [secret] = await makeSecrets(modules, key, variant.alg, 1, variant.enc)
    const calls = await countCalls(() => decryptor.decrypt(secret.slice(5)))
    implementations.push({ alg: variant.alg, enc: variant.enc, ...calls })
  }
  print(
    table(
      ['alg', 'enc', 'node:crypto calls', 'WebCrypto calls', 'JavaScript (forge, jsbn) calls'],
      implementations.map((row) => [
        row.alg,
        row.enc,
        row['node:crypto'].join(', ') || '—',
        row.WebCrypto.join(', ') || '—',
        row.JS.join(', ') || '—',
      ]),
    ),
  )
  return { rows, implementations }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
  const started = performance.now()
  await runDecryptBench({ quick: values.quick })
  process.stdout.write(`\n(${fixed((performance.now() - started) / 1000, 1)} s)\n`)
}
