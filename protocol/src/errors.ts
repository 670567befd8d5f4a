/**
 * The closed table of error codes. Every error the API answers carries one of these codes, with
 * the HTTP status given here. The SDK narrows on `code`; adding a code is a protocol change.
 */
export const errorTable = {
  validation_failed: { status: 400, message: 'The request does not match the expected shape.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unauthenticated: { status: 401, message: 'Sign in, or send an API key or join token.' },
  invalid_credentials: { status: 401, message: 'Email or password is wrong.' },
  token_invalid: { status: 401, message: 'The join token is not valid.' },
  token_expired: { status: 401, message: 'The join token has expired.' },
  token_revoked: { status: 401, message: 'The join token has been revoked.' },
  csrf_failed: { status: 403, message: 'Missing or wrong CSRF token.' },
  forbidden: { status: 403, message: 'You may not do this.' },
  user_disabled: { status: 403, message: 'This account has been disabled.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed on this route.' },
  email_taken: { status: 409, message: 'A user with this email already exists.' },
  invalid_transition: { status: 409, message: 'The session cannot do that in its current state.' },
  session_ended: { status: 409, message: 'The session has already ended.' },
  outside_start_window: { status: 409, message: 'The session cannot be joined at this time.' },
  signature_invalid: {
    status: 400,
    message: 'The webhook signature does not verify (wrong secret, altered body, or too old).',
  },
  slot_booked: { status: 409, message: 'This slot is booked and cannot be changed.' },
  expert_unavailable: {
    status: 409,
    message: 'The expert is not available for a session now (offline or busy).',
  },
  already_rated: { status: 409, message: 'This session has already been rated.' },
  slot_taken: { status: 409, message: 'This time is not open for booking (any more).' },
  insufficient_funds: { status: 402, message: 'The balance does not cover this.' },
  idempotency_conflict: {
    status: 409,
    message: 'This idempotency key was used for a different request.',
  },
  already_resolved: {
    status: 409,
    message: 'This pending transfer has already been posted or voided.',
  },
  escrow_not_held: { status: 409, message: 'The escrow is not in a state that allows this.' },
  dispute_window_closed: {
    status: 409,
    message: 'Disputes can only be opened before the escrow is released.',
  },
  not_allowed_for_type: { status: 403, message: 'The booked session type does not allow this.' },
  too_many_connections: { status: 429, message: 'Too many open connections for this participant.' },
  protocol_mismatch: {
    status: 426,
    message: 'This app and the server speak different versions of the realtime protocol.',
  },
  rate_limited: { status: 429, message: 'Too many messages; slow down.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  quota_exceeded: {
    status: 413,
    message: 'Your file storage quota is used up: delete files or ask an operator.',
  },
  file_type_not_allowed: {
    status: 415,
    message: 'This kind of file cannot be shared (its content is not an allowed type).',
  },
  file_link_invalid: { status: 403, message: 'The download link is not valid, or has expired.' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json.' },
  too_many_attempts: { status: 429, message: 'Too many attempts; wait before trying again.' },
  provider_error: {
    status: 502,
    message:
      'The payment provider could not take this request now; nothing was charged. Try again in a moment.',
  },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  unavailable: { status: 503, message: 'The service is not ready.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorTable;
export const errorCodes = Object.keys(errorTable) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return errorTable[code].status;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorTable, value);
}

/** The one shape of every error body: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
