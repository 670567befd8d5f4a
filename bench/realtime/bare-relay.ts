/**
 * The baseline of bench/realtime: a bare Socket.IO relay — no authentication, no database, no
 * limits. A socket joins the room named in its handshake; each `chat:send` is numbered and
 * sent at once to every socket of the room as a `chat:messages` frame (the sender's copy is its
 * answer), in the same shapes as Hourglass's gateway, so the same driver runs against both. It
 * has nothing to wait for, so it has no batch to put several messages in one frame.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { path: '/socket.io', serveClient: false });
const seqs = new Map<string, number>();

io.on('connection', (socket) => {
  const room = String(socket.handshake.auth.room);
  void socket.join(room);
  socket.on('chat:send', (payload: { clientMsgId: string; text: string }) => {
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    io.to(room).emit('chat:messages', [
      {
        seq,
        clientMsgId: payload.clientMsgId,
        text: payload.text,
        sentAt: new Date().toISOString(),
      },
    ]);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(
    JSON.stringify({
      msg: 'listening',
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    }),
  );
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
