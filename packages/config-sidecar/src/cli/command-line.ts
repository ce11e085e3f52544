// The command line: the verbs, their options and the usage text, read into what to run or one line
// saying what is wrong. Pure (argv and the working directory in, values out): main.ts runs it.
import { isAbsolute, relative } from 'node:path'
import { parseArgs } from 'node:util'

/** The verbs, with the options each takes (`--help` goes with any). */
const COMMANDS = {
  serve: ['default-source', 'default-keys'],
  once: ['default-source', 'default-keys'],
  keygen: ['type', 'kid', 'out', 'force'],
  encrypt: ['key', 'kid', 'alg', 'enc', 'allow-empty'],
} as const satisfies Record<string, readonly string[]>
export type Command = keyof typeof COMMANDS

/** Every option of every verb, for node:util's parseArgs; which verb takes which is in COMMANDS. */
const OPTIONS = {
  'default-source': { type: 'string' },
  'default-keys': { type: 'string' },
  type: { type: 'string' },
  kid: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  key: { type: 'string' },
  alg: { type: 'string' },
  enc: { type: 'string' },
  'allow-empty': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * The usage text, naming the sidecar as the user ran it (`node dist/push/sidecar/main.mjs` from the
 * repository root, `node sidecar/main.mjs` in the push directory, the image or a `cf run-task`).
 */
export function usage(run: string): string {
  return `Usage: ${run} [serve] [--default-source file:<path>] [--default-keys <path>]
       ${run} once [--default-source file:<path>] [--default-keys <path>]
       ${run} keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>] [--force]
       ${run} encrypt --key <public.jwks.json> [--kid <kid>] [--alg <alg>] [--enc <enc>]
           [--allow-empty] [<value>]

  serve    (the default) fetch, decrypt and serve the config on 127.0.0.1:$CONFIG_SERVER_PORT
  once     fetch the config, check that every secret decrypts, write the snapshot, exit 0 (or 1)
  keygen   write <prefix>.private.jwks.json (mode 0600, for CONFIG_KEYS) and <prefix>.public.jwks.json;
           an existing key file is never replaced unless --force
  encrypt  print {jwe}... for <value>, or for stdin without one (one trailing newline dropped);
           an empty value is refused unless --allow-empty; put -- before a value that starts with -

Settings come from CONFIG_* environment variables: docs/reference.md. Keys and secrets: docs/secrets.md.`
}

/**
 * How this process was started, as a command to type again: `node <script>`, the script relative
 * to the working directory (absolute when outside it), quoted when the shell needs it.
 */
export function invocationOf(script: string | undefined, cwd: string): string {
  if (script === undefined) return 'node sidecar/main.mjs'
  const inside = relative(cwd, script)
  const path = inside === '' || inside.startsWith('..') || isAbsolute(inside) ? script : inside
  return `node ${/^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`}`
}

/** The options' values once checked: strings for the string options, true for the flags. */
export type OptionValues = {
  [Name in keyof typeof OPTIONS]?: (typeof OPTIONS)[Name]['type'] extends 'string'
    ? string
    : boolean
}

export type Parsed =
  | { readonly kind: 'help' }
  | { readonly kind: 'problem'; readonly problem: string }
  | {
      readonly kind: 'run'
      readonly command: Command
      readonly values: OptionValues
      readonly rest: readonly string[]
    }

/**
 * Reads argv into a verb, its options and its arguments, or one line saying what is wrong. An
 * argument that is not understood is never repeated back: it may be a secret meant for `encrypt`
 * (a value that starts with -, a value before the verb); the line says where it is instead.
 */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help'))
    return { kind: 'help' }
  const [verb = 'serve', ...rest] = positionals
  if (!Object.hasOwn(COMMANDS, verb)) {
    return {
      kind: 'problem',
      problem: 'config-sidecar: unknown command (the commands: serve, once, keygen, encrypt)',
    }
  }
  const command = verb as Command
  const takes: readonly string[] = COMMANDS[command]
  const prefix = `config-sidecar ${command}:`
  const list = `${command} takes ${takes.map((name) => `--${name}`).join(', ')}`
  const problem = (text: string): Parsed => ({ kind: 'problem', problem: `${prefix} ${text}` })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    if (!Object.hasOwn(OPTIONS, token.name)) {
      const hint = command === 'encrypt' ? '; put -- before a value that starts with -' : ''
      return problem(`argument ${token.index + 1} is not an option (${list})${hint}`)
    }
    const name = token.name
    if (!takes.includes(name)) return problem(`--${name} is not an option of ${command} (${list})`)
    const type = OPTIONS[name as keyof typeof OPTIONS].type
    if (type === 'boolean' && token.value !== undefined) return problem(`--${name} takes no value`)
    if (
      type === 'string' &&
      (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
    )
      return problem(`--${name} needs a value (--${name}=<value> for one that starts with -)`)
  }
  if (command === 'encrypt' && rest.length > 1)
    return problem(`takes one value, got ${rest.length} (quote a value that holds spaces)`)
  if (command !== 'encrypt' && rest.length > 0)
    return problem(`takes no arguments but its options, got ${rest.length} more`)
  return { kind: 'run', command, values: values as OptionValues, rest }
}
