// A real java.util.Properties, for the round trips of the `.properties` format: one JVM (a small
// Java file written to a temp dir at test time and run with `java File.java`) loads each file it is
// sent, from an InputStream (ISO-8859-1) and from a UTF-8 Reader, and answers every key and value.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const SOURCE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class LoadProperties {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
    String path;
    while ((path = in.readLine()) != null) {
      Properties bytes = new Properties();
      try (InputStream stream = new FileInputStream(path)) { bytes.load(stream); }
      Properties chars = new Properties();
      try (Reader reader = new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8)) { chars.load(reader); }
      StringBuilder answer = new StringBuilder();
      if (!bytes.equals(chars)) answer.append("MISMATCH\\n");
      for (String key : bytes.stringPropertyNames()) {
        answer.append(hex(key)).append(' ').append(hex(bytes.getProperty(key))).append('\\n');
      }
      answer.append("END\\n");
      out.print(answer);
      out.flush();
    }
  }

  /** Each UTF-16 unit as 4 hex digits, after an x (so that the empty string is a word too). */
  static String hex(String text) {
    StringBuilder out = new StringBuilder("x");
    for (char c : text.toCharArray()) out.append(String.format("%04x", (int) c));
    return out.toString();
  }
}
`

/** True when a `java` that runs source files (11 or later) is on the PATH. */
export function javaAvailable(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0
}

export interface JavaProperties {
  /** What `Properties.load` reads from the file at `path`. */
  load(path: string): Promise<Map<string, string>>
  close(): Promise<void>
}

export async function startJavaProperties(dir: string): Promise<JavaProperties> {
  const file = join(dir, 'LoadProperties.java')
  await writeFile(file, SOURCE)
  const child: ChildProcessWithoutNullStreams = spawn('java', [file], { stdio: 'pipe' })
  let buffer = ''
  let stderr = ''
  const waiting: ((lines: string[]) => void)[] = []
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let end = buffer.indexOf('END\n')
    while (end !== -1) {
      const lines = buffer
        .slice(0, end)
        .split('\n')
        .filter((line) => line !== '')
      buffer = buffer.slice(end + 4)
      waiting.shift()?.(lines)
      end = buffer.indexOf('END\n')
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const unhex = (word: string): string =>
    String.fromCharCode(
      ...(word.slice(1).match(/.{4}/g) ?? []).map((unit) => Number.parseInt(unit, 16)),
    )
  return {
    load(path) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) {
          reject(new Error(`java exited: ${stderr}`))
          return
        }
        waiting.push((lines) => {
          if (lines.includes('MISMATCH'))
            reject(new Error(`${path}: InputStream and Reader read different properties`))
          else
            resolve(
              new Map(
                lines.map((line) => {
                  const [name = '', value = ''] = line.split(' ')
                  return [unhex(name), unhex(value)]
                }),
              ),
            )
        })
        child.stdin.write(`${path}\n`)
      })
    },
    async close() {
      child.stdin.end()
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      child.kill()
    },
  }
}
