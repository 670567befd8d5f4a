import { isErrorCode, type ErrorCode } from '@hourglass/protocol';

/** Every failed call throws this; narrow on `code`, which is always one of the protocol's codes. */
export class HourglassError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HourglassError';
  }

  static async from(res: Response): Promise<HourglassError> {
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    } | null;
    const e = body?.error;
    if (e && isErrorCode(e.code))
      return new HourglassError(e.code, String(e.message ?? e.code), res.status, e.details);
    // Not our server's shape (a proxy's error page, say): keep the status, name it by class.
    return new HourglassError(
      res.status >= 500 ? 'unavailable' : 'validation_failed',
      `HTTP ${res.status}`,
      res.status,
    );
  }
}

/**
 * What a person is told when a realtime connection is refused for its protocol version
 * (`protocol_mismatch`): an app older than the server should reload; one newer than the server
 * (which is being upgraded) should wait a little.
 */
export function refusalMessage(code: string, message: string, details: unknown): string {
  if (code !== 'protocol_mismatch') return message;
  const d = details as { client?: number; oldest?: number } | undefined;
  return d && typeof d.client === 'number' && typeof d.oldest === 'number' && d.client < d.oldest
    ? 'A newer version of this page is available. Please reload the page.'
    : 'The service is being updated. Please try again in a minute.';
}
