// `pnpm audit --prod`, informational: runs the audit through the pnpm pinned in package.json's
// packageManager and prints its findings, one advisory a line. It never fails a run: it exits 0
// whether the audit finds advisories or cannot run at all (a registry that answers no audits, no
// network), and then says so in one line. The reviewed state of the runtime dependencies, and why
// an advisory does or does not reach the sidecar, is in docs/reliability.md.
//
//   node scripts/audit.mjs
import { spawnSync } from 'node:child_process'
import { pnpmCommand, root } from './lib/pnpm.mjs'

/** Longest wait for the registry. */
const TIMEOUT_MS = 120_000
const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info']

const say = (line) => process.stdout.write(`${line}\n`)

/** The one line for an audit that did not run. */
function couldNotRun(reason) {
  const short =
    String(reason)
      .split('\n')
      .find((line) => line.trim() !== '') ?? 'no reason given'
  say(`audit: could not be run (${short.trim().slice(0, 300)}); informational only, nothing failed`)
}

/** One line per advisory, worst first, then the totals. */
function printFindings(report) {
  const advisories = Object.values(report.advisories)
  if (advisories.length === 0) {
    const count = report.metadata?.dependencies
    say(
      `audit: no known advisories in the production dependencies${typeof count === 'number' ? ` (${count} packages)` : ''}`,
    )
    return
  }
  const rank = (severity) => {
    const index = SEVERITIES.indexOf(severity)
    return index === -1 ? SEVERITIES.length : index
  }
  advisories.sort((a, b) => rank(a.severity) - rank(b.severity))
  const totals = SEVERITIES.map(
    (severity) => `${severity} ${report.metadata?.vulnerabilities?.[severity] ?? 0}`,
  ).join(', ')
  say(`audit: ${advisories.length} advisories in the production dependencies (${totals})`)
  for (const advisory of advisories) {
    const versions = [
      ...new Set((advisory.findings ?? []).map((finding) => finding.version).filter(Boolean)),
    ]
    const paths = (advisory.findings ?? []).flatMap((finding) => finding.paths ?? [])
    const id = advisory.github_advisory_id ?? advisory.cves?.[0] ?? advisory.id
    say(
      [
        `  ${advisory.severity ?? '?'} ${advisory.module_name ?? '?'}@${versions.join(',') || '?'}:`,
        advisory.title ?? '(no title)',
        id === undefined ? '' : `[${id}]`,
        `patched: ${advisory.patched_versions ?? '?'}`,
        paths.length > 0
          ? `via ${paths[0]}${paths.length > 1 ? ` (+${paths.length - 1})` : ''}`
          : '',
        advisory.url ?? '',
      ]
        .filter((part) => part !== '')
        .join(' '),
    )
  }
  say('audit: informational only (docs/reliability.md says which advisories reach the sidecar)')
}

function main() {
  const [command, ...args] = [...pnpmCommand(), 'audit', '--prod', '--json']
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  })
  if (result.error !== undefined) {
    couldNotRun(`cannot run ${command}: ${result.error.message}`)
    return
  }
  let report
  try {
    report = JSON.parse(result.stdout)
  } catch {
    couldNotRun(result.stderr || result.stdout || `pnpm audit exited with ${result.status}`)
    return
  }
  if (report?.error !== undefined) {
    couldNotRun(`${report.error.code ?? 'error'}: ${report.error.message ?? ''}`)
    return
  }
  if (report === null || typeof report.advisories !== 'object' || report.advisories === null) {
    couldNotRun('pnpm audit gave no advisories list')
    return
  }
  printFindings(report)
}

try {
  main()
} catch (error) {
  couldNotRun(error instanceof Error ? error.message : String(error))
}
process.exitCode = 0
