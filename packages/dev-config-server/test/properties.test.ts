// The .properties reader: java.util.Properties syntax plus what Spring Boot's loader adds
// (`name[]=a,b` lists and `#---` / `!---` document separators).
import { describe, expect, it } from 'vitest'
import { isDevConfigError } from '../src/errors.js'
import { parseProperties } from '../src/properties.js'

const documents = (text: string): Record<string, string>[] =>
  parseProperties(text, 'test.properties').map((document) => Object.fromEntries(document))

const one = (text: string): Record<string, string> => {
  const all = documents(text)
  expect(all).toHaveLength(1)
  return all[0]!
}

describe('.properties syntax (java.util.Properties)', () => {
  it('reads =, : and whitespace separators, comments, blank lines and bare keys', () => {
    expect(
      one(
        [
          '# a comment',
          '! another comment',
          '',
          'equals=1',
          'colon:2',
          'space 3',
          '  indented = 4  ',
          'tab\t5',
          'formfeed\f6',
          'spaced   :   7',
          'twice==8',
          'empty=',
          'bare',
          '   ',
          '',
        ].join('\n'),
      ),
    ).toEqual({
      equals: '1',
      colon: '2',
      space: '3',
      indented: '4  ', // trailing whitespace is part of the value, as in Java
      tab: '5',
      formfeed: '6',
      spaced: '7',
      twice: '=8',
      empty: '',
      bare: '',
    })
  })

  it('reads escapes in keys and values', () => {
    expect(
      one(
        [
          'a\\=b\\:c\\ d = escaped separators stay in the key',
          'escapes = tab\\there\\nnew line\\rreturn\\fform\\\\backslash \\q\\"',
          'unicode = \\u00e9\\u20AC\\u0041',
          '\\u006Bey = an escaped key',
          'lead = \\  kept leading space',
        ].join('\n'),
      ),
    ).toEqual({
      'a=b:c d': 'escaped separators stay in the key',
      escapes: 'tab\there\nnew line\rreturn\fform\\backslash q"',
      unicode: 'é€A',
      key: 'an escaped key',
      lead: '  kept leading space',
    })
  })

  it('joins continuation lines, dropping their leading whitespace', () => {
    expect(
      one(
        [
          'continued = first \\',
          '    second \\',
          '\tthird',
          'doubled = ends with a backslash\\\\',
          'next = not continued',
          'key\\',
          '  part = joined key',
          'hash = value \\',
          '  # is not a comment here',
          '# a comment line never continues \\',
          'after = comment',
          'last = at the end \\',
        ].join('\n'),
      ),
    ).toEqual({
      continued: 'first second third',
      doubled: 'ends with a backslash\\',
      next: 'not continued',
      keypart: 'joined key',
      hash: 'value # is not a comment here',
      after: 'comment',
      last: 'at the end ',
    })
  })

  it('takes \\n, \\r\\n and \\r as line ends', () => {
    expect(one('a=1\r\nb=2\rc=3\nd=x\\\r\n   y\r\n')).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: 'xy',
    })
  })

  it('keeps the last of repeated keys and drops empty keys, as Spring Boot does', () => {
    expect(one('a=1\nb=2\na=3\n=no key\n:none either\n')).toEqual({ a: '3', b: '2' })
    expect([...parseProperties('a=1\nb=2\na=3\n', 'x.properties')[0]!.keys()]).toEqual(['a', 'b'])
  })

  it('never takes a \\uXXXX-escaped character as syntax', () => {
    expect(
      one(['a\\u003Db = 1', 'lead = \\u0020 kept', 'list[] = x\\u002Cy,z'].join('\n')),
    ).toEqual({ 'a=b': '1', lead: '  kept', 'list[0]': 'x,y', 'list[1]': 'z' })
  })

  it('reads # and ! after the first character as part of the key', () => {
    expect(one('a#b=1\nc!d=2\n')).toEqual({ 'a#b': '1', 'c!d': '2' })
  })

  it('continues a line that holds only a backslash onto the next, even one starting with #', () => {
    expect(one('a=1\n\\\n#c=2\n')).toEqual({ a: '1', '#c': '2' })
  })

  it('refuses a malformed \\uXXXX escape, naming the line and never the value', () => {
    let caught: unknown
    try {
      parseProperties('ok=1\n\npassword=hunter\\u12G4\n', 'secret.properties')
    } catch (error) {
      caught = error
    }
    expect(isDevConfigError(caught)).toBe(true)
    const message = (caught as Error).message
    expect(message).toBe(
      'secret.properties is not a valid .properties file (malformed \\uXXXX escape at line 3)',
    )
    expect(message).not.toContain('hunter')
    expect(() => parseProperties('a=\\u12', 'short.properties')).toThrow(/at line 1/)
  })
})

describe('what Spring Boot adds to .properties', () => {
  it('follows Spring Boot where its loader differs from java.util.Properties', () => {
    expect(
      one(
        [
          'padded\\ \\ = keys are trimmed, escaped spaces too',
          '\\#escaped = a line starting with an escaped # is still a comment',
          '\\u0021also = and so is one starting with an escaped !',
          'nbsp\\u00A0 = trimmed as Java trims: a no-break space stays',
          'kept = yes',
        ].join('\n'),
      ),
    ).toEqual({
      padded: 'keys are trimmed, escaped spaces too',
      'nbsp\u00a0': 'trimmed as Java trims: a no-break space stays',
      kept: 'yes',
    })
  })

  it('trims a key at both ends, as Java trims: escaped spaces and control characters too', () => {
    expect(one('\\ \\ lead\\ = 1\n\\u0001ctl\\u001F = 2\n')).toEqual({ lead: '1', ctl: '2' })
  })

  it('drops the leading whitespace of every list item, the first one too', () => {
    expect(one('spaced[]=   a,  b\n')).toEqual({ 'spaced[0]': 'a', 'spaced[1]': 'b' })
  })

  it('expands name[]=a,b,c into a list, splitting at unescaped commas only', () => {
    expect(
      one(
        [
          'hosts[]=a, b ,c',
          'escaped[]=x\\,y,z',
          'trailing[]=p,',
          'gap[]=q,,r',
          'none[]=',
          'plain=a,b',
        ].join('\n'),
      ),
    ).toEqual({
      'hosts[0]': 'a',
      'hosts[1]': 'b ',
      'hosts[2]': 'c',
      'escaped[0]': 'x,y',
      'escaped[1]': 'z',
      'trailing[0]': 'p',
      'gap[0]': 'q',
      'gap[1]': '',
      'gap[2]': 'r',
      'none[0]': '',
      plain: 'a,b',
    })
  })

  it('splits documents at #--- and !--- lines', () => {
    expect(documents('a=1\n#---\nb=2\n!---  \t\nc=3\n')).toEqual([
      { a: '1' },
      { b: '2' },
      { c: '3' },
    ])
    // Empty documents are dropped, so the numbering counts only documents with properties.
    expect(documents('#---\na=1\n#---\n#---\n\nb=2\n#---\n')).toEqual([{ a: '1' }, { b: '2' }])
  })

  it('does not split at an indented, longer or trailing-text separator, or inside a comment block', () => {
    for (const separator of ['  #---', '#----', '#--- x', '#--']) {
      expect(documents(`a=1\n${separator}\nb=2\n`)).toEqual([{ a: '1', b: '2' }])
    }
    // The line before a separator must not be a comment with the same prefix ...
    expect(documents('a=1\n# banner\n#---\nb=2\n')).toEqual([{ a: '1', b: '2' }])
    expect(documents('a=1\n! banner\n#---\nb=2\n')).toEqual([{ a: '1' }, { b: '2' }])
    // ... and a comment before the first property of the new document joins it to the previous one.
    expect(documents('a=1\n#---\n# about b\nb=2\n')).toEqual([{ a: '1', b: '2' }])
    // A comment after the new document's first property leaves the two documents apart.
    expect(documents('a=1\n#---\nb=2\n# about c\nc=3\n')).toEqual([{ a: '1' }, { b: '2', c: '3' }])
    // A continued value swallows the separator line.
    expect(documents('a=1\\\n#---\nb=2\n')).toEqual([{ a: '1#---', b: '2' }])
  })
})
