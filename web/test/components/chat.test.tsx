import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionRoom } from '../../../sdk/src/room.ts';
import { pgliteTarget } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { Chat } from '../../src/room/Chat.tsx';
import { useRoomUpdates } from '../../src/room/useRoom.ts';

/** The room's chat panel, rendered without a browser (happy-dom) on a real SessionRoom and server. */
function Panel({ room }: { room: SessionRoom }) {
  useRoomUpdates(room);
  return <Chat room={room} disabled={false} />;
}

describe('Chat', () => {
  let server: TestServer;
  const rooms: SessionRoom[] = [];
  const open = async (token: string) => {
    const room = new SessionRoom({ baseUrl: server.url, token });
    rooms.push(room);
    await room.connect();
    return room;
  };
  beforeAll(async () => {
    server = await startServer(pgliteTarget);
    // The page is served by the server, as the web app is: its requests are same-origin.
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(server.url);
  });
  afterEach(() => {
    cleanup();
    for (const r of rooms.splice(0)) r.close();
  });
  afterAll(() => server?.close());

  it('sends what is typed, shows it sending then sent, and shows the other side’s messages, as text', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    const mine = await open(s.links.client.token);
    const theirs = await open(s.links.expert.token);
    render(<Panel room={mine} />);
    const input = screen.getByRole('textbox');
    fireEvent.change(input, { target: { value: '  <b>hello</b> there  ' } });
    fireEvent.submit(input.closest('form')!);
    expect((input as HTMLInputElement).value).toBe('');
    await waitFor(() =>
      expect(screen.getAllByTestId('message').map((m) => m.dataset.delivery)).toEqual(['sent']),
    );
    const first = screen.getAllByTestId('message')[0]!;
    expect(first.querySelector('.text')!.textContent).toBe('<b>hello</b> there');
    expect(first.querySelector('b')).toBeNull();
    expect(first.className).toBe('mine');
    await act(() => theirs.send('and hello back'));
    await waitFor(() =>
      expect(screen.getAllByTestId('message').map((m) => [m.dataset.seq, m.className])).toEqual([
        ['1', 'mine'],
        ['2', 'theirs'],
      ]),
    );
  });

  it('a blank message is not sent', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    render(<Panel room={await open(s.links.client.token)} />);
    const input = screen.getByRole('textbox');
    fireEvent.change(input, { target: { value: '   ' } });
    fireEvent.submit(input.closest('form')!);
    expect(screen.queryAllByTestId('message')).toEqual([]);
  });
});
