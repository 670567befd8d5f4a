import { errorTable, type ErrorBody, type ErrorCode } from '@hourglass/protocol';

/** The one error type services throw; the HTTP edge turns it into `{"error": {...}}`. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    /** `cause`: what went wrong underneath (a provider's error), for the log only. */
    options?: ErrorOptions,
  ) {
    super(message ?? errorTable[code].message, options);
    this.name = 'AppError';
  }
  get status(): number {
    return errorTable[this.code].status;
  }
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export const fail = (code: ErrorCode, message?: string, details?: unknown): never => {
  throw new AppError(code, message, details);
};
