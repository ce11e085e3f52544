// What changed, on the demo page: the relay passes the sidecar's `changes` event on just before the
// `config` event it describes (to pages that have a config already), keeps the last few for the
// first paint, and the page lists them. Against a fake sidecar on a real port.
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { openEventStream } from '../../../test-support/http.js'
import type { EventStream } from '../../../test-support/http.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { onCleanup } from '../../../test-support/servers.js'
import { waitFor } from '../../../test-support/wait.js'
import { RECENT_CHANGES } from '../src/page/relay.js'
import { describeChange } from '../src/page/what-changed.js'

/** Opens the app's `GET /events` and keeps it open until the end of the test. */
async function openEvents(url: string): Promise<EventStream> {
  const stream = await openEventStream(`${url}/events`)
  onCleanup(() => stream.close())
  return stream
}

/** The `<li>` texts of the page's "what changed" list. */
function listed(html: string): string[] {
  const list = /<ol id="changes"[^>]*>(.*?)<\/ol>/s.exec(html)?.[1] ?? ''
  return [...list.matchAll(/<li[^>]*>(.*?)<\/li>/gs)].map((match) =>
    match[1]!.replace(/<[^>]+>/g, ''),
  )
}

describe('the relay and the page', () => {
  it('relays the changes event just before its config event, as the sidecar sent it', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 100 } })
    const events = await openEvents(app.url)
    await waitFor(() => (events.text().includes('event: config') ? true : undefined))
    // The first config comes alone: there is nothing before it to compare with.
    expect(events.text()).not.toContain('event: changes')
    sidecar.state.redacted = { greeting: 'hi again', database: { password: '[redacted]' } }
    sidecar.state.version = 'v2'
    sidecar.pushChange({ changed: ['database.password', 'greeting'], removed: ['database.user'] })
    await waitFor(() => (events.text().includes('hi again') ? true : undefined))
    const text = events.text()
    const change = text.indexOf('event: changes\n')
    expect(change).toBeGreaterThan(-1)
    expect(text.slice(change)).toMatch(
      /^event: changes\ndata: \{"from":"\\"redacted-before\\"","to":"\\"redacted-v2\\"","added":\[\],"removed":\["database\.user"\],"changed":\["database\.password","greeting"\]\}\n\nid: "redacted-v2"\nevent: config\ndata: \{"greeting":"hi again"/,
    )
  })

  it('lists the last few changes in the first paint, newest first, paths only', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 100 } })
    expect(listed(await (await fetch(`${app.url}/`)).text())).toEqual([
      expect.stringMatching(/^No change yet/),
    ])
    const events = await openEvents(app.url)
    await waitFor(() => (events.text().includes('event: config') ? true : undefined))
    for (let n = 1; n <= RECENT_CHANGES + 2; n += 1) {
      sidecar.state.version = `v${n + 1}`
      sidecar.pushChange({ changed: [`key${n}`], added: n === 1 ? ['a', 'b'] : [] })
    }
    await waitFor(() => (events.text().includes('"key7"') ? true : undefined))
    const items = listed(await (await fetch(`${app.url}/`)).text())
    expect(items).toHaveLength(RECENT_CHANGES)
    expect(items[0]).toMatch(/^\d\d:\d\d:\d\d UTC changed key7$/)
    expect(items.at(-1)).toMatch(/ changed key3$/)
  })
})

describe('describeChange', () => {
  it('names each list, at most 8 paths of each, and says how many more', () => {
    const many = Array.from({ length: 11 }, (_, index) => `k${index}`)
    expect(describeChange({ added: ['a'], removed: ['r'], changed: ['c', 'd'] })).toBe(
      'changed c, d; added a; removed r',
    )
    expect(describeChange({ added: many, removed: [], changed: [] })).toBe(
      'added k0, k1, k2, k3, k4, k5, k6, k7 and 3 more',
    )
    expect(describeChange({ added: [], removed: [], changed: [] })).toMatch(/^no key changed/)
  })

  it('names all 8 paths of a list of exactly 8, with no "and 0 more"', () => {
    const eight = Array.from({ length: 8 }, (_, index) => `k${index}`)
    expect(describeChange({ added: [], removed: eight, changed: [] })).toBe(
      'removed k0, k1, k2, k3, k4, k5, k6, k7',
    )
  })
})
