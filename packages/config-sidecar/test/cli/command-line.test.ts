// The command line read in the test's process (src/cli/command-line.ts): the verb and its options,
// every problem as its exact line (never repeating an argument it did not understand: it may be a
// secret meant for encrypt), and the usage text naming the sidecar as it was started.
// test/cli/usage.test.ts runs the same through the built process.
import { describe, expect, it } from 'vitest'
import { invocationOf, parseCommandLine, usage } from '../../src/cli/command-line.js'

const problem = (text: string) => ({ kind: 'problem', problem: text })

describe('parseCommandLine', () => {
  it('runs serve with no arguments, and each verb with its options', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'run', command: 'serve', values: {}, rest: [] })
    expect(parseCommandLine(['serve', '--default-source', 'file:a.json'])).toEqual({
      kind: 'run',
      command: 'serve',
      values: { 'default-source': 'file:a.json' },
      rest: [],
    })
    expect(parseCommandLine(['once', '--default-keys=k.json'])).toEqual({
      kind: 'run',
      command: 'once',
      values: { 'default-keys': 'k.json' },
      rest: [],
    })
    expect(
      parseCommandLine(['keygen', '--type', 'ec', '--kid', 'k1', '--out', 'x/y', '--force']),
    ).toEqual({
      kind: 'run',
      command: 'keygen',
      values: { type: 'ec', kid: 'k1', out: 'x/y', force: true },
      rest: [],
    })
    expect(
      parseCommandLine([
        'encrypt',
        '--key',
        'p.json',
        '--alg',
        'RSA-OAEP-256',
        '--enc',
        'A256GCM',
        '--allow-empty',
        '',
      ]),
    ).toEqual({
      kind: 'run',
      command: 'encrypt',
      values: { key: 'p.json', alg: 'RSA-OAEP-256', enc: 'A256GCM', 'allow-empty': true },
      rest: [''],
    })
  })

  it('takes a value that starts with - after --, or inline after =', () => {
    expect(parseCommandLine(['encrypt', '--key', 'p.json', '--', '-v'])).toMatchObject({
      kind: 'run',
      rest: ['-v'],
    })
    expect(parseCommandLine(['encrypt', '--key=-p.json', 'v'])).toMatchObject({
      kind: 'run',
      values: { key: '-p.json' },
      rest: ['v'],
    })
  })

  it('answers help for -h or --help anywhere, before any other check', () => {
    for (const argv of [['-h'], ['--help'], ['keygen', '--help'], ['bogus', '--bogus', '-h']]) {
      expect(parseCommandLine(argv), argv.join(' ')).toEqual({ kind: 'help' })
    }
  })

  it('says what is wrong in one line, naming where, not what', () => {
    const secret = 's3cr3t-value'
    const keygenTakes = 'keygen takes --type, --kid, --out, --force'
    const encryptTakes = 'encrypt takes --key, --kid, --alg, --enc, --allow-empty'
    const cases: [string[], string][] = [
      [['keygne'], 'config-sidecar: unknown command (the commands: serve, once, keygen, encrypt)'],
      [
        [secret, '--key', 'k.json'],
        'config-sidecar: unknown command (the commands: serve, once, keygen, encrypt)',
      ],
      [
        ['keygen', '--bogus'],
        `config-sidecar keygen: argument 2 is not an option (${keygenTakes})`,
      ],
      [['keygen', '--force=yes'], 'config-sidecar keygen: --force takes no value'],
      [
        ['keygen', '--out'],
        'config-sidecar keygen: --out needs a value (--out=<value> for one that starts with -)',
      ],
      [
        ['keygen', '--out', '-x'],
        'config-sidecar keygen: --out needs a value (--out=<value> for one that starts with -)',
      ],
      [
        ['keygen', '--key', 'k.json'],
        `config-sidecar keygen: --key is not an option of keygen (${keygenTakes})`,
      ],
      [
        ['keygen', 'extra'],
        'config-sidecar keygen: takes no arguments but its options, got 1 more',
      ],
      [['once', 'a', 'b'], 'config-sidecar once: takes no arguments but its options, got 2 more'],
      [
        ['once', '--force'],
        'config-sidecar once: --force is not an option of once (once takes --default-source, --default-keys)',
      ],
      [
        ['serve', '--allow-empty'],
        'config-sidecar serve: --allow-empty is not an option of serve (serve takes --default-source, --default-keys)',
      ],
      [
        ['encrypt', '--force', 'v'],
        `config-sidecar encrypt: --force is not an option of encrypt (${encryptTakes})`,
      ],
      [
        ['encrypt', '--key', `-${secret}`],
        'config-sidecar encrypt: --key needs a value (--key=<value> for one that starts with -)',
      ],
      [
        ['encrypt', '--key', 'k.json', `-${secret}`],
        `config-sidecar encrypt: argument 4 is not an option (${encryptTakes}); put -- before a value that starts with -`,
      ],
      [
        ['encrypt', '--key', 'k.json', 'v', `--${secret}`],
        `config-sidecar encrypt: argument 5 is not an option (${encryptTakes}); put -- before a value that starts with -`,
      ],
      [
        ['encrypt', '--key', 'k.json', secret, 'more'],
        'config-sidecar encrypt: takes one value, got 2 (quote a value that holds spaces)',
      ],
    ]
    for (const [argv, line] of cases) {
      const parsed = parseCommandLine(argv)
      expect(parsed, argv.join(' ')).toEqual(problem(line))
      expect(JSON.stringify(parsed)).not.toContain(secret)
    }
  })

  it('reads an option of another verb as not an option of this one, whichever is known', () => {
    // --help is known to every verb; a verb's own flags with a value are refused as flags.
    expect(parseCommandLine(['serve', '--kid', 'k'])).toEqual(
      problem(
        'config-sidecar serve: --kid is not an option of serve (serve takes --default-source, --default-keys)',
      ),
    )
    expect(parseCommandLine(['encrypt', '--allow-empty=1'])).toEqual(
      problem('config-sidecar encrypt: --allow-empty takes no value'),
    )
  })
})

describe('invocationOf', () => {
  it('names the script relative to the working directory inside it, else absolute', () => {
    expect(invocationOf('/srv/app/sidecar/main.mjs', '/srv/app')).toBe('node sidecar/main.mjs')
    expect(invocationOf('/srv/app/sidecar/main.mjs', '/srv/app/other')).toBe(
      'node /srv/app/sidecar/main.mjs',
    )
    expect(invocationOf('/srv/app/main.mjs', '/srv/app/main.mjs')).toBe('node /srv/app/main.mjs')
  })

  it('falls back to the push directory name when there is no script', () => {
    expect(invocationOf(undefined, '/anywhere')).toBe('node sidecar/main.mjs')
  })

  it('quotes a path the shell would split or expand, quotes inside it too', () => {
    expect(invocationOf('/srv/my app/main.mjs', '/srv/my app')).toBe('node main.mjs')
    expect(invocationOf('/srv/my app/main.mjs', '/')).toBe(`node 'srv/my app/main.mjs'`)
    expect(invocationOf("/srv/it's/main.mjs", '/srv')).toBe(`node 'it'\\''s/main.mjs'`)
    expect(invocationOf('/srv/$HOME/main.mjs', '/srv')).toBe(`node '$HOME/main.mjs'`)
    // Every character of the safe set goes unquoted.
    expect(invocationOf('/x/a_b.c@d%e+f=g:h,i-j/m.mjs', '/x')).toBe(
      'node a_b.c@d%e+f=g:h,i-j/m.mjs',
    )
  })
})

describe('usage', () => {
  it('names the given command on every line of a verb', () => {
    const text = usage('node sidecar/main.mjs')
    const lines = text.split('\n')
    expect(lines.slice(0, 5)).toEqual([
      'Usage: node sidecar/main.mjs [serve] [--default-source file:<path>] [--default-keys <path>]',
      '       node sidecar/main.mjs once [--default-source file:<path>] [--default-keys <path>]',
      '       node sidecar/main.mjs keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>] [--force]',
      '       node sidecar/main.mjs encrypt --key <public.jwks.json> [--kid <kid>] [--alg <alg>] [--enc <enc>]',
      '           [--allow-empty] [<value>]',
    ])
    expect(lines.at(-1)).toBe(
      'Settings come from CONFIG_* environment variables: docs/reference.md. Keys and secrets: docs/secrets.md.',
    )
    for (const verb of ['serve ', 'once ', 'keygen ', 'encrypt ']) {
      expect(
        lines.some((line) => line.startsWith(`  ${verb}`)),
        verb,
      ).toBe(true)
    }
  })
})
