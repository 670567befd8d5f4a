import type { allowedFileTypes } from '@hourglass/protocol';

export type AllowedType = (typeof allowedFileTypes)[number];

/** Bytes the sniffer looks at: enough for every signature and for a fair judgement of text. */
export const SNIFF_BYTES = 512;

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/**
 * What a file is, from its first bytes (at most SNIFF_BYTES; fewer only when the file is that
 * short), or null when it is none of the allowed types. The uploader's word is not taken:
 * a script renamed `.png` is refused here.
 */
export function sniff(head: Uint8Array): AllowedType | null {
  if (head.length === 0) return null;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (
    startsWith(head, ascii('ID3')) ||
    (head.length > 1 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0)
  )
    return 'audio/mpeg';
  if (startsWith(head, ascii('ftyp'), 4))
    return startsWith(head, ascii('M4A '), 8) ? 'audio/mp4' : 'video/mp4';
  return isText(head) ? 'text/plain' : null;
}

/** UTF-8 with no control characters but tab, line feed, carriage return and form feed. */
function isText(head: Uint8Array): boolean {
  try {
    // `stream: true`: a multi-byte character cut at the end of the sample is not an error.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
  } catch {
    return false;
  }
}
