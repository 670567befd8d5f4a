import type { Socket } from 'socket.io';

type AnyListener<S> = (this: S, event: string, ...args: unknown[]) => void;

/**
 * `socket.onAny(listener)` for every socket of a kind, with the one listener they all share
 * kept in one array.
 *
 * `onAny` gives each socket an array of its own: 17 slots and a property store, 224 bytes, the
 * largest single item a participant's connection held beyond the bare relay's (bench/realtime,
 * docs/perf-log/). Every participant socket has the same single listener, so they share
 * one frozen array. That array is socket.io's own `_anyListeners`, which its API does not
 * expose for writing: socket.io 4 keeps the any-listeners there (`onAny` adds to it,
 * `listenersAny` returns it) and hands each incoming event to a copy of it. So the first socket
 * gets `onAny` itself, and the array is shared only if `onAny` put the listener exactly there;
 * if a version of socket.io keeps them elsewhere, every socket gets `onAny` as before (more
 * memory, the same behaviour). Frozen, so an `onAny` or `offAny` on one socket throws rather
 * than changing every socket's listeners.
 */
export function anyListener<S extends Socket>(listener: AnyListener<S>): (socket: S) => void {
  const shared: readonly AnyListener<S>[] = Object.freeze([listener]);
  let sharing: boolean | undefined;
  return (socket) => {
    if (sharing) {
      Reflect.set(socket, '_anyListeners', shared);
      return;
    }
    socket.onAny(listener);
    if (sharing === undefined) {
      const own: unknown = Reflect.get(socket, '_anyListeners');
      sharing =
        Array.isArray(own) &&
        own.length === 1 &&
        own[0] === listener &&
        socket.listenersAny() === own;
    }
  };
}
