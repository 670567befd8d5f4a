import { describe, expect, it } from 'vitest';
import { refusalMessage } from './errors.ts';

describe('refusalMessage', () => {
  it('tells an app older than the server to reload, and one newer to wait; other refusals keep their message', () => {
    expect(refusalMessage('protocol_mismatch', 'x', { client: 1, oldest: 2, newest: 3 })).toBe(
      'A newer version of this page is available. Please reload the page.',
    );
    expect(refusalMessage('protocol_mismatch', 'x', { client: 4, oldest: 2, newest: 3 })).toBe(
      'The service is being updated. Please try again in a minute.',
    );
    expect(refusalMessage('token_revoked', 'The join token has been revoked.', undefined)).toBe(
      'The join token has been revoked.',
    );
  });
});
