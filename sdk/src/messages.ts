import { isErrorCode, type ErrorCode } from '@hourglass/protocol';

/** What a sentence needs from the page that shows it. */
export interface MessageContext {
  /** An amount in minor units as the person reads money (default: US dollars, `en-US`). */
  money: (minor: number) => string;
  /** A moment as the person reads time (default: the viewer's locale and zone). */
  time: (iso: string) => string;
  /**
   * The form's labels for the fields a refusal names: `amount` for `body.amount`, `weekly.end`
   * for `body.weekly.0.end` (list positions left out).
   */
  fields: Record<string, string>;
}

type Details = Record<string, unknown> | undefined;
type Sentence = (details: Details, ctx: MessageContext) => string;

const num = (d: Details, k: string) => (typeof d?.[k] === 'number' ? (d[k] as number) : undefined);
const str = (d: Details, k: string) => (typeof d?.[k] === 'string' ? (d[k] as string) : undefined);
const mb = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/** The labels of the fields a validation refusal names, in the page's words. */
function labelsOf(d: Details, fields: MessageContext['fields']): string[] {
  const issues = Array.isArray(d?.issues) ? (d.issues as { path?: unknown }[]) : [];
  const labels = issues.flatMap((i) => {
    if (typeof i.path !== 'string') return [];
    const key = i.path
      .split('.')
      .filter((p, n) => !(n === 0 && /^(body|query|params|headers)$/.test(p)) && !/^\d+$/.test(p))
      .join('.');
    const label = fields[key];
    return label ? [label] : [];
  });
  return [...new Set(labels)];
}

function listed(items: string[]): string {
  return items.length < 2
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/**
 * One sentence per error code, in the words of the person who meets it: never a code, a field
 * path or a provider's text. Details make it exact (the amounts in money, sizes in MB, the
 * times of a window). Ready for translation: one table, keyed by code.
 */
export const messages: Record<ErrorCode, Sentence> = {
  validation_failed: (d, ctx) => {
    const min = num(d, 'min');
    const max = num(d, 'max');
    if (min !== undefined && max !== undefined)
      return `Please enter an amount from ${ctx.money(min)} to ${ctx.money(max)}.`;
    const labels = labelsOf(d, ctx.fields);
    return labels.length > 0
      ? `Please check ${listed(labels.map((l) => `“${l}”`))}.`
      : 'Some of what was entered is not valid. Please check it and try again.';
  },
  invalid_json: () => 'Something went wrong sending this. Please reload the page and try again.',
  unauthenticated: () => 'Please sign in to continue.',
  invalid_credentials: () => 'That email and password do not match. Please try again.',
  token_invalid: () => 'This session link is not valid. Please check that you copied all of it.',
  token_expired: () => 'This session link has expired. Ask for a new one.',
  token_revoked: () => 'This session link no longer works: a newer one was sent. Use the latest.',
  csrf_failed: () => 'Your page is out of date. Please reload it and try again.',
  forbidden: () => 'You do not have access to this.',
  user_disabled: () => 'This account has been disabled. Please contact support.',
  not_found: () => 'We could not find this. It may have been removed.',
  method_not_allowed: () => 'This action is not available here.',
  email_taken: () => 'An account with this email already exists. Try signing in.',
  invalid_transition: () => 'This cannot be done at this point of the session.',
  session_ended: () => 'This session has already ended.',
  outside_start_window: (d, ctx) => {
    const opens = str(d, 'opensAt');
    const closes = str(d, 'closesAt');
    return opens && closes
      ? `This session can be joined from ${ctx.time(opens)} until ${ctx.time(closes)}.`
      : 'This session cannot be joined right now.';
  },
  signature_invalid: () => 'This notification could not be verified.',
  slot_booked: () => 'This time has already been booked, so it cannot be changed.',
  expert_unavailable: () =>
    'The expert is not available right now. Please try again later or book a time.',
  already_rated: () => 'You have already rated this session. Thank you!',
  slot_taken: () => 'This time is no longer available. Please choose another.',
  insufficient_funds: (d, ctx) => {
    const required = num(d, 'required');
    const balance = num(d, 'balance');
    return required !== undefined && balance !== undefined
      ? `Your balance of ${ctx.money(balance)} does not cover the ${ctx.money(required)} needed. Please top up and try again.`
      : 'Your balance does not cover this. Please top up and try again.';
  },
  idempotency_conflict: () =>
    'This looks like a repeat of an earlier request with different details. Please reload the page and try again.',
  already_resolved: () => 'This has already been settled.',
  escrow_not_held: () => 'This payment has already been released or refunded.',
  dispute_window_closed: () =>
    'The time to dispute this session has passed: the payment has been released.',
  not_allowed_for_type: () => 'This is not part of this kind of session.',
  too_many_connections: () => 'This session is open in too many windows. Close one and try again.',
  protocol_mismatch: () => 'A newer version of this page is available. Please reload the page.',
  rate_limited: () => 'You are sending messages too quickly. Please wait a moment.',
  payload_too_large: (d) => {
    const max = num(d, 'max');
    return max !== undefined
      ? `This file is too large: files can be up to ${mb(max)}.`
      : 'This is too large to send.';
  },
  quota_exceeded: (d) => {
    const quota = num(d, 'quota');
    return `You have used all ${quota !== undefined ? `${mb(quota)} of ` : ''}your file space. Delete some files or ask support for more.`;
  },
  file_type_not_allowed: () =>
    'This kind of file cannot be shared. Images, PDF, audio, video and text files can.',
  file_link_invalid: () => 'This download link has expired. Open the file from the session again.',
  unsupported_media_type: () =>
    'Something went wrong sending this. Please reload the page and try again.',
  too_many_attempts: (d) => {
    const s = num(d, 'retryAfterSeconds');
    const minutes = s !== undefined ? Math.max(1, Math.ceil(s / 60)) : undefined;
    return minutes !== undefined
      ? `Too many attempts. Please wait ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} and try again.`
      : 'Too many attempts. Please wait a few minutes and try again.';
  },
  provider_error: () =>
    'The payment could not be started just now, and nothing was charged. Please try again in a moment.',
  internal: () => 'Something went wrong on our side. Please try again.',
  unavailable: () => 'The service is busy right now. Please try again in a moment.',
};

const defaults: MessageContext = {
  money: (minor) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100),
  time: (iso) =>
    new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
      new Date(iso),
    ),
  fields: {},
};

/**
 * The sentence to show a person for anything a call or a connection failed with: a refusal of
 * the server (an `HourglassError`, or a realtime refusal `{code, details}`), the network being
 * down, or something unforeseen.
 */
export function describeError(err: unknown, context: Partial<MessageContext> = {}): string {
  const ctx = { ...defaults, ...context };
  const e = err as { code?: unknown; details?: unknown; name?: unknown } | null;
  if (e && isErrorCode(e.code)) return messages[e.code](e.details as Details, ctx);
  // fetch's own failure: the request never reached the server.
  if (e instanceof TypeError)
    return 'We cannot reach the server. Check your connection and try again.';
  return messages.internal(undefined, ctx);
}
