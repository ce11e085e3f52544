// Measurements of a running process for the reliability suite, from /proc (Linux): resident memory
// and its peak, CPU time; and `report`, the line each file prints for docs/reliability.md.
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/** Resident memory now and at its peak (VmHWM), in MiB. */
export async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1])
  return { rssMiB: round(kb('VmRSS') / 1024), peakMiB: round(kb('VmHWM') / 1024) }
}

let clockTicks: number | undefined
/** CPU time (user + system) a process has used, in milliseconds. */
export async function cpuMsOf(pid: number): Promise<number> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

/** `value` rounded to `digits` decimals. */
export const round = (value: number, digits = 1): number => Number(value.toFixed(digits))

/** Collects numbers for docs/reliability.md: printed at the end of each file's run. */
export function report(section: string, values: Record<string, unknown>): void {
  process.stdout.write(`[reliability] ${section}: ${JSON.stringify(values)}\n`)
}
