// What the page's badges say for every status the app can hold (src/page/badges.ts): the texts and
// tones the first paint renders and the relay sends as `status` events, never more than is known.
import { describe, expect, it } from 'vitest'
import { badges } from '../src/page/badges.js'
import type { SidecarStatus } from '../src/sidecar-state.js'

const ready: SidecarStatus = {
  reach: 'ready',
  version: 'v7',
  stale: false,
  reason: null,
  demoKey: null,
  demoKeyIds: [],
}

describe('the sidecar badge', () => {
  it('says checking before a first try, then ready, not ready or unreachable', () => {
    expect(badges(undefined, undefined).sidecar).toEqual({ text: 'checking', tone: 'unknown' })
    expect(badges(ready, undefined).sidecar).toEqual({ text: 'ready', tone: 'good' })
    expect(badges({ ...ready, reach: 'not-ready' }, undefined).sidecar).toEqual({
      text: 'not ready',
      tone: 'bad',
    })
    expect(badges({ ...ready, reach: 'unreachable' }, undefined).sidecar).toEqual({
      text: 'unreachable',
      tone: 'bad',
    })
  })
})

describe('the config badge and its reason', () => {
  it('is left out when the caller does not know whether a config is shown', () => {
    expect(badges(ready, undefined)).toMatchObject({ config: undefined, reason: '' })
  })

  it('says "no config yet" without a config, whatever the status', () => {
    for (const status of [undefined, ready, { ...ready, reach: 'unreachable' as const }])
      expect(badges(status, false)).toMatchObject({
        config: { text: 'no config yet', tone: 'unknown' },
        reason: '',
      })
  })

  it('says "checking" with a config and no status yet', () => {
    expect(badges(undefined, true)).toMatchObject({
      config: { text: 'checking', tone: 'unknown' },
      reason: '',
    })
  })

  it('says "last known" when the sidecar does not answer, even if it said fresh before', () => {
    expect(badges({ ...ready, reach: 'unreachable', stale: false }, true)).toMatchObject({
      config: { text: 'last known', tone: 'warn' },
      reason: 'the sidecar does not answer: this is the last config the app received',
    })
  })

  it('says "stale" with the sidecar’s reason, or no reason when it gives none', () => {
    expect(
      badges({ ...ready, stale: true, reason: 'ERR_UPSTREAM_DOWN: no answer' }, true),
    ).toMatchObject({
      config: { text: 'stale', tone: 'warn' },
      reason: 'ERR_UPSTREAM_DOWN: no answer',
    })
    expect(badges({ ...ready, stale: true, reason: null }, true)).toMatchObject({
      config: { text: 'stale', tone: 'warn' },
      reason: '',
    })
  })

  it('says "fresh" only when the sidecar says so, else "not confirmed" with why', () => {
    expect(badges(ready, true)).toMatchObject({
      config: { text: 'fresh', tone: 'good' },
      reason: '',
    })
    expect(badges({ ...ready, stale: null }, true)).toMatchObject({
      config: { text: 'not confirmed', tone: 'unknown' },
      reason: 'the sidecar has no /status, so the app cannot tell whether this config is fresh',
    })
  })
})

describe('the version', () => {
  it('is the status’s version, or a dash when there is none', () => {
    expect(badges(ready, true).version).toBe('v7')
    expect(badges({ ...ready, version: null }, true).version).toBe('—')
    expect(badges(undefined, true).version).toBe('—')
  })
})

describe('the demo key warning', () => {
  it('warns, naming the kids, only when the sidecar says it decrypts with the demo key', () => {
    const said = badges({ ...ready, demoKey: true, demoKeyIds: ['demo-a', 'demo-b'] }, true)
    expect(said.demoKey).toEqual({ text: 'public demo key', tone: 'bad' })
    expect(said.demoKeyReason).toBe(
      'the sidecar decrypts with the shipped demo key (demo-a, demo-b): it is public, so anything encrypted to it is readable by anyone with the repository. Make your own keys before storing a real secret (docs/deploy-cloud-foundry.md, docs/deploy-kubernetes.md).',
    )
  })

  it('names no kids when the sidecar names none', () => {
    expect(badges({ ...ready, demoKey: true, demoKeyIds: [] }, true).demoKeyReason).toMatch(
      /^the sidecar decrypts with the shipped demo key: it is public/,
    )
  })

  it('is null when the sidecar says it does not, and unknown when it does not say', () => {
    expect(badges({ ...ready, demoKey: false, demoKeyIds: ['ignored'] }, true)).toMatchObject({
      demoKey: null,
      demoKeyReason: '',
    })
    expect(badges(ready, true)).toMatchObject({ demoKey: undefined, demoKeyReason: '' })
    expect(badges(undefined, true)).toMatchObject({ demoKey: undefined, demoKeyReason: '' })
  })
})
