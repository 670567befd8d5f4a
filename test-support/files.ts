/** Test files: real magic numbers, and uploads as a browser sends them (D9). */
export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(600, 7),
]);
export const ELF = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]),
  Buffer.alloc(600),
]);

/** An upload as a browser sends it: the bytes as the body, the name in the query. */
export const upload = (
  url: string,
  sessionId: string,
  headers: Record<string, string>,
  body: Uint8Array | ReadableStream,
  name = 'chart.png',
  type = 'image/png',
) =>
  fetch(`${url}/api/sessions/${sessionId}/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': type },
    body,
    duplex: 'half',
  } as RequestInit).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));

/** A body of `bytes` bytes that starts like a PNG, made as it is read (no length known in advance). */
export function pngStream(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk =
        sent === 0
          ? Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(65_536 - 8)])
          : Buffer.alloc(65_536);
      const n = Math.min(chunk.length, bytes - sent);
      if (n <= 0) return controller.close();
      controller.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
}
