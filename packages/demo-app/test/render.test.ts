// The page's first paint as renderPage writes it (src/page/render.ts), for each view the relay can
// hand it: what the config area says without a config (down, or not ready), the document shown
// two-space or as sent, the version, ETag and time, the demo key row, the "what changed" list, and
// every value escaped.
import { describe, expect, it } from 'vitest'
import { escapeHtml, renderPage } from '../src/page/render.js'
import type { PageChange, PageView } from '../src/page/relay.js'
import type { SidecarStatus } from '../src/sidecar-state.js'

const NOW = new Date('2026-03-04T05:06:07.089Z')

const ready: SidecarStatus = {
  reach: 'ready',
  version: 'v7',
  stale: false,
  reason: null,
  demoKey: false,
  demoKeyIds: [],
}

function view(overrides: Partial<PageView> = {}): PageView {
  return {
    config: { json: '{"greeting":"hi","n":[1,2]}', etag: '"redacted-v7"' },
    status: ready,
    version: 'v7',
    changes: [],
    ...overrides,
  }
}

/** The element with this id, from its opening tag to its text's end (the markup keeps each on one line). */
function element(html: string, id: string): string | undefined {
  return new RegExp(`<[a-z0-9]+ id="${id}"[^>]*>[^<]*`).exec(html)?.[0]
}

/** The `<li>`s of the "what changed" list, as written. */
function items(html: string): string[] {
  const list = /<ol id="changes"[^>]*>(.*?)<\/ol>/s.exec(html)?.[1] ?? ''
  return [...list.matchAll(/<li[^>]*>.*?<\/li>/gs)].map((match) => match[0])
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes, & first', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    )
    expect(escapeHtml('plain text')).toBe('plain text')
  })
})

describe('the first paint', () => {
  it('shows the config two-space indented, with its version, its ETag and the time it was rendered', () => {
    const html = renderPage(view(), NOW)
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
    expect(element(html, 'config')).toBe(
      `<pre id="config" aria-live="polite">${escapeHtml(JSON.stringify({ greeting: 'hi', n: [1, 2] }, null, 2))}`,
    )
    expect(element(html, 'version')).toBe('<dd id="version">v7')
    expect(element(html, 'etag')).toBe('<dd id="etag">&quot;redacted-v7&quot;')
    expect(element(html, 'updated')).toBe(
      '<dd id="updated" data-at="2026-03-04T05:06:07.089Z">05:06:07 UTC',
    )
    expect(element(html, 'ready')).toBe('<span id="ready" class="badge" data-tone="good">ready')
    expect(element(html, 'stale')).toBe('<span id="stale" class="badge" data-tone="good">fresh')
    expect(element(html, 'stale-reason')).toBe('<span id="stale-reason" class="reason">')
    expect(element(html, 'live')).toBe(
      '<span id="live" class="badge" data-tone="unknown">connecting',
    )
    expect(html).toContain('<title>Config sidecar demo</title>')
    expect(html).toContain('<style>')
    expect(html).toContain('<script>')
  })

  it('shows a document that is not JSON as it was sent, escaped', () => {
    const html = renderPage(view({ config: { json: 'a: <b>', etag: null } }), NOW)
    expect(element(html, 'config')).toBe('<pre id="config" aria-live="polite">a: &lt;b&gt;')
    expect(element(html, 'etag')).toBe('<dd id="etag">—')
  })

  it('says the sidecar does not answer yet when it is unreachable, and has no config yet when it is not ready', () => {
    const down = renderPage(
      view({
        config: undefined,
        version: null,
        status: { ...ready, reach: 'unreachable', version: null, stale: null, demoKey: null },
      }),
      NOW,
    )
    expect(element(down, 'config')).toBe(
      '<pre id="config" aria-live="polite">The sidecar does not answer yet. This page shows the config as soon as it does.',
    )
    expect(element(down, 'version')).toBe('<dd id="version">—')
    expect(element(down, 'etag')).toBe('<dd id="etag">—')
    expect(element(down, 'updated')).toBe('<dd id="updated">—')
    expect(element(down, 'ready')).toBe(
      '<span id="ready" class="badge" data-tone="bad">unreachable',
    )
    expect(element(down, 'stale')).toBe(
      '<span id="stale" class="badge" data-tone="unknown">no config yet',
    )

    const notReady = renderPage(
      view({ config: undefined, status: { ...ready, reach: 'not-ready' } }),
      NOW,
    )
    expect(element(notReady, 'config')).toBe(
      '<pre id="config" aria-live="polite">The sidecar has no config yet. This page shows it as soon as it has one.',
    )
  })

  it('hides the demo key row unless the sidecar says it uses the demo key', () => {
    for (const demoKey of [false, null]) {
      const html = renderPage(view({ status: { ...ready, demoKey } }), NOW)
      expect(element(html, 'demo-key-row'), String(demoKey)).toBe(
        '<p id="demo-key-row" class="alert" role="alert" hidden>Keys ',
      )
      expect(element(html, 'demo-key'), String(demoKey)).toBe(
        '<span id="demo-key" class="badge" data-tone="bad">public demo key',
      )
      expect(element(html, 'demo-key-reason'), String(demoKey)).toBe('<span id="demo-key-reason">')
    }
    const html = renderPage(
      view({ status: { ...ready, demoKey: true, demoKeyIds: ['demo-1'] } }),
      NOW,
    )
    expect(element(html, 'demo-key-row')).toBe(
      '<p id="demo-key-row" class="alert" role="alert">Keys ',
    )
    expect(element(html, 'demo-key-reason')).toContain(
      'the sidecar decrypts with the shipped demo key (demo-1)',
    )
  })

  it('says no change yet before the relay heard one', () => {
    expect(items(renderPage(view(), NOW))).toEqual([
      '<li class="none">No change yet: edit a value and its key shows here, and is marked below for a few seconds.</li>',
    ])
  })

  it('lists the changes heard, newest first as given, with their time and their paths escaped', () => {
    const changes: PageChange[] = [
      { at: '2026-03-04T05:06:01.000Z', added: ['a<b>'], removed: [], changed: [] },
      { at: '2026-03-04T04:00:00.000Z', added: [], removed: ['old'], changed: ['greeting'] },
    ]
    const html = renderPage(view({ changes }), NOW)
    expect(items(html)).toEqual([
      '<li><time datetime="2026-03-04T05:06:01.000Z">05:06:01 UTC</time> added a&lt;b&gt;</li>',
      '<li><time datetime="2026-03-04T04:00:00.000Z">04:00:00 UTC</time> changed greeting; removed old</li>',
    ])
    // Nothing between the items.
    expect(html).toContain(`</li><li><time datetime="2026-03-04T04:00:00.000Z">`)
  })
})
