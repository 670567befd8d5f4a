import { describe, expect, it } from 'vitest';
import { sniff } from './sniff.ts';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('sniff: a file is what its first bytes say', () => {
  it.each([
    ['image/png', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13])],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['image/gif', bytes('GIF89a', [1, 0])],
    ['image/webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['application/pdf', bytes('%PDF-1.7\n')],
    ['audio/mpeg', bytes('ID3', [4, 0])],
    ['audio/mpeg', bytes([0xff, 0xfb, 0x90])],
    ['video/mp4', bytes([0, 0, 0, 0x18], 'ftypisom')],
    ['audio/mp4', bytes([0, 0, 0, 0x18], 'ftypM4A ')],
    ['text/plain', bytes('Notes for Tuesday:\n\t- Saturn return\r\n')],
    ['text/plain', new TextEncoder().encode('Привет, ☉ и ☽')],
  ])('%s', (mime, head) => expect(sniff(head)).toBe(mime));

  it('a multi-byte character cut at the end of the sample is still text', () => {
    const text = new TextEncoder().encode('ab☉');
    expect(sniff(text.subarray(0, text.length - 1))).toBe('text/plain');
  });

  it.each([
    ['empty', bytes()],
    ['an executable', bytes([0x7f], 'ELF', [2, 1, 1])],
    ['a zip (docx, apk…)', bytes('PK', [3, 4])],
    ['binary with NULs', bytes('abc', [0, 0, 0])],
    ['invalid UTF-8', bytes([0xc3, 0x28, 0x61])],
    ['an escape sequence', bytes('\x1b[31mred')],
  ])('refuses %s', (_, head) => expect(sniff(head)).toBeNull());
});
