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
    const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null;
    const e = body?.error;
    if (e && isErrorCode(e.code)) return new HourglassError(e.code, String(e.message ?? e.code), res.status, e.details);
    // Not our server's shape (a proxy's error page, say): keep the status, name it by class.
    return new HourglassError(res.status >= 500 ? 'unavailable' : 'validation_failed', `HTTP ${res.status}`, res.status);
  }
}
