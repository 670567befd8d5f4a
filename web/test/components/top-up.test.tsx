import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientFor } from '../../../test-support/clients.ts';
import { pgliteTarget } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { TopUp } from '../../src/wallet/TopUp.tsx';

/** The wallet's top-up, rendered without a browser (happy-dom), paying through the real server (the local provider). */
describe('TopUp', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(pgliteTarget);
    // The page is served by the server, as the web app is: its requests are same-origin.
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(server.url);
  });
  afterEach(cleanup);
  afterAll(() => server?.close());

  it('adds the amount pressed, says so in money, and hands the new balance on; each press is one top-up', async () => {
    const s = await buildSession(server.deps, { credit: 500 });
    const onDone = vi.fn();
    render(
      <TopUp client={clientFor(server.url, { joinToken: s.links.client.token })} onDone={onDone} />,
    );
    fireEvent.click(screen.getByRole('button', { name: /\$10\.00/ }));
    await waitFor(() => expect(onDone).toHaveBeenCalledTimes(1));
    expect(onDone).toHaveBeenCalledWith({ balance: 1500, currency: 'USD' });
    expect(screen.getByText('Added $10.00.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /\$10\.00/ }));
    await waitFor(() => expect(onDone).toHaveBeenCalledTimes(2));
    expect(onDone).toHaveBeenLastCalledWith({ balance: 2500, currency: 'USD' });
  });

  it('a refusal is shown, and the wallet is unchanged', async () => {
    const s = await buildSession(server.deps, { credit: 500 });
    const onDone = vi.fn();
    // The expert's link has no wallet.
    render(
      <TopUp client={clientFor(server.url, { joinToken: s.links.expert.token })} onDone={onDone} />,
    );
    fireEvent.click(screen.getByRole('button', { name: /\$10\.00/ }));
    await waitFor(() => expect(screen.getByText(/Only clients have a wallet/)).toBeTruthy());
    expect(onDone).not.toHaveBeenCalled();
  });
});
