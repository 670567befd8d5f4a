import {
  realtimeProtocol,
  type SessionFile,
  type Ack,
  type ChatMessage,
  type ClientToServerEvents,
  type RoomPresence,
  type ServerToClientEvents,
  type SessionStatePayload,
  type SignalSend,
} from '@hourglass/protocol';
import { io, type Socket } from 'socket.io-client';
import { Emitter } from './emitter.ts';
import { refusalMessage } from './errors.ts';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A chat message as this side sees it: the server's, or one of ours not yet acknowledged. */
export type RoomMessage =
  | (ChatMessage & { delivery: 'sent' })
  | {
      clientMsgId: string;
      from: 'client' | 'expert';
      text: string;
      delivery: 'sending';
      seq: null;
      sentAt: null;
    };

export interface TimerView {
  /** Time on the session's clock so far (0 before it starts), in ms. */
  elapsedMs: number;
  /**
   * Until the scheduled end; on demand, for the client, until the balance runs out (the paid
   * minute plus the whole minutes the balance still buys). Null when there is no end to show:
   * before the start, after the end, and for the expert of an on-demand session.
   */
  remainingMs: number | null;
  paused: boolean;
}

/** The session's money as this side sees it (minor units). */
export interface MoneyView {
  /** The per-minute rate (on demand), or null. */
  ratePerMinute: number | null;
  /** The client: paid for this session so far. Null for the expert. */
  spent: number | null;
  /** The client: the wallet's balance. Null for the expert. */
  balance: number | null;
  /** The expert: their share of this session so far, after the fee. Null for the client. */
  earned: number | null;
}

export interface RoomEvents extends Record<string, unknown> {
  state: SessionStatePayload;
  messages: RoomMessage[];
  connection: ConnectionStatus;
  presence: RoomPresence;
  timer: null;
  ended: { reason: string; endedAt: string };
  lowBalance: { balance: number | null; minutesLeft: number };
  /** A participant shared a file (D9); get a link with `call('fileLink', …)`. */
  file: SessionFile;
  media: { role: 'client' | 'expert'; audio: boolean; video: boolean };
  refused: { code: string; message: string; clientMsgId?: string };
  /** The handshake was refused (a bad or expired link): the room will not retry. */
  failed: { code: string; message: string };
}

export interface SessionRoomOptions {
  baseUrl: string;
  token: string;
  /** Backoff of the automatic reconnection (socket.io's, with jitter). */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
}

type RoomSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * One live session room for one participant: the socket (the handshake is the join), the
 * server's clock (its offset from ours), the chat (ordered by the server's seq, resumed
 * without gaps or duplicates after a reconnect, unacknowledged sends retried with their id),
 * and the signaling channel media uses (media.ts). The web app's room is a view of this.
 */
export class SessionRoom extends Emitter<RoomEvents> {
  state: SessionStatePayload | null = null;
  status: ConnectionStatus = 'connecting';
  /** Server time − local time, in ms: what `serverNow()` adds. */
  offsetMs = 0;
  private readonly socket: RoomSocket;
  private readonly received = new Map<number, ChatMessage>();
  /**
   * The highest seq held with none missing below it (down to the first one the server showed
   * us: older history is not a gap). Seqs are contiguous, so a message above `head + 1` proves
   * a gap, which `resume` from `head` fills.
   */
  private head = 0;
  /** The highest seq held. */
  private top = 0;
  private resuming: Promise<void> | null = null;
  private resumeAgain = false;
  private readonly unsent = new Map<string, string>();
  /** Sends awaiting their message from the server (by clientMsgId): settled by `chat:messages`, a resume, or `refused`. */
  private readonly awaiting = new Map<
    string,
    { resolve(m: ChatMessage): void; reject(err: Error): void }
  >();
  private readonly signalQueue: (SignalSend & { from: 'client' | 'expert' })[] = [];
  private signalHandler: ((s: SignalSend & { from: 'client' | 'expert' }) => void) | null = null;
  private firstState: Promise<SessionStatePayload>;
  private joining = false;

  constructor(private readonly options: SessionRoomOptions) {
    super();
    this.socket = io(options.baseUrl, {
      path: '/socket.io',
      auth: { token: options.token, v: realtimeProtocol.version },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: options.reconnectDelayMs ?? 500,
      reconnectionDelayMax: options.reconnectDelayMaxMs ?? 5000,
    });
    this.firstState = new Promise((resolve, reject) => {
      this.socket.once('session:state', resolve);
      this.socket.once('connect_error', (err) => {
        if (!this.state)
          reject(Object.assign(new Error(err.message), (err as Error & { data?: object }).data));
      });
    });
    this.wire();
  }

  /**
   * Opens the transport ahead of the join — while a preflight runs, say — so that `connect()`
   * sends only the handshake (as LiveKit's `prepareConnection`): no participant joins, nothing
   * is recorded. Kept open (re-opened if the server drops an idle one) until `connect` or `close`.
   */
  prepare(): void {
    if (this.status === 'closed' || this.socket.active) return;
    this.socket.io.open();
  }

  /** Opens the room; resolves with the first state (it rejects with the server's code if the link is refused). */
  connect(): Promise<SessionStatePayload> {
    // Once: a second connect() while the first is on its way would send a second handshake.
    if (!this.joining) {
      this.joining = true;
      this.socket.connect();
    }
    return this.firstState;
  }

  get you() {
    return this.state?.you ?? null;
  }

  /** The server's clock now, in ms since the epoch. */
  serverNow(): number {
    return Date.now() + this.offsetMs;
  }

  timer(): TimerView {
    const t = this.state?.timer;
    if (!t?.startedAt) return { elapsedMs: 0, remainingMs: null, paused: false };
    const now = t.pausedAt ? Date.parse(t.pausedAt) : this.serverNow();
    const ended = this.state!.state === 'ended';
    return {
      elapsedMs: Math.max(0, now - Date.parse(t.startedAt)),
      remainingMs: ended ? null : this.endOfTime(now),
      paused: t.pausedAt !== null,
    };
  }

  /** Ms from `now` to the session's end as this side may know it (see TimerView). */
  private endOfTime(now: number): number | null {
    const s = this.state!;
    if (s.timer.endsAt) return Math.max(0, Date.parse(s.timer.endsAt) - now);
    if (!s.timer.paidUntil || s.you !== 'client') return null;
    const minutesMore =
      s.ratePerMinute && s.balance !== null ? Math.floor(s.balance / s.ratePerMinute) : 0;
    return Math.max(0, Date.parse(s.timer.paidUntil) - now) + minutesMore * 60_000;
  }

  /** The session's money for this side: rate, paid so far and balance, or earned so far. */
  money(): MoneyView {
    const s = this.state;
    return {
      ratePerMinute: s?.ratePerMinute ?? null,
      spent: s?.money?.spent ?? null,
      balance: s?.balance ?? null,
      earned: s?.money?.earned ?? null,
    };
  }

  /** Messages in the server's order, then ours still on their way. */
  messages(): RoomMessage[] {
    const sent = [...this.received.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({ ...m, delivery: 'sent' as const }));
    const mine = new Set(sent.map((m) => m.clientMsgId));
    const sending = [...this.unsent]
      .filter(([id]) => !mine.has(id))
      .map(([clientMsgId, text]) => ({
        clientMsgId,
        text,
        from: this.you ?? 'client',
        delivery: 'sending' as const,
        seq: null,
        sentAt: null,
      }));
    return [...sent, ...sending];
  }

  /** Sends a chat message; if the connection drops first, it is sent again (same id: once) on reconnect. */
  async send(text: string): Promise<ChatMessage> {
    const clientMsgId = globalThis.crypto.randomUUID();
    this.unsent.set(clientMsgId, text);
    this.emit('messages', this.messages());
    return this.deliver(clientMsgId, text);
  }

  /**
   * Ends the session. Done when the server answers, or when `session:ended` comes first: the
   * server closes the room right after the end, so an end racing the other side's may see the
   * room close before its own answer.
   */
  async end(): Promise<void> {
    if (this.state?.state === 'ended') return;
    let off = () => {};
    const ended = new Promise<null>((resolve) => (off = this.on('ended', () => resolve(null))));
    const answered = new Promise<Ack<{ state: string; endReason: string | null }>>((resolve) =>
      this.socket.emit('session:end', {}, resolve),
    );
    try {
      const r = await Promise.race([answered, ended]);
      if (r && !r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    } finally {
      off();
    }
  }

  signal(payload: SignalSend): void {
    this.socket.emit('signal', payload);
  }

  /** Media (media.ts) takes the signals; any that came before it are handed over at once. */
  onSignal(handler: (s: SignalSend & { from: 'client' | 'expert' }) => void): () => void {
    this.signalHandler = handler;
    for (const s of this.signalQueue.splice(0)) handler(s);
    return () => {
      if (this.signalHandler === handler) this.signalHandler = null;
    };
  }

  setMediaState(state: { audio: boolean; video: boolean }): void {
    this.socket.emit('media:state', state);
  }

  /** The manual "retry now" of the reconnect banner: skips the rest of the backoff. */
  reconnectNow(): void {
    if (this.status === 'closed' || this.socket.connected) return;
    this.socket.disconnect().connect();
  }

  close(): void {
    this.setStatus('closed');
    this.socket.disconnect();
  }

  /**
   * Sends without an acknowledgement: the answer is our message coming back in the session's
   * `chat:messages` (one frame for a batch's messages, so a busy room costs fewer frames), or a
   * `refused` naming it. After a reconnect what is still unsent is sent again with the same id
   * (stored once), and whichever answer comes settles the promise.
   */
  private deliver(clientMsgId: string, text: string): Promise<ChatMessage> {
    const settled = new Promise<ChatMessage>((resolve, reject) =>
      this.awaiting.set(clientMsgId, { resolve, reject }),
    );
    this.socket.emit('chat:send', { clientMsgId, text });
    return settled;
  }

  private take(messages: ChatMessage[]) {
    let fresh = false;
    for (const m of messages) {
      // A copy we hold already (a retry's, published again) may still be the answer to a send.
      if (m.seq > this.head && !this.received.has(m.seq)) {
        this.received.set(m.seq, m);
        this.top = Math.max(this.top, m.seq);
        fresh = true;
      }
      if (m.from === this.you) this.answered(m.clientMsgId)?.resolve(m);
    }
    while (this.received.has(this.head + 1)) this.head++;
    if (fresh) this.emit('messages', this.messages());
    // A message beyond the unbroken run: one between was stored but never reached us.
    if (this.top > this.head) this.fillGap();
  }

  /** The server says the session's latest seq is `seq` (`chat:head`): ask for what we lack. */
  private checkHead(seq: number) {
    if (seq > this.head) this.fillGap();
  }

  private refused(e: { code: string; message: string; clientMsgId?: string }) {
    const waiting = e.clientMsgId === undefined ? undefined : this.answered(e.clientMsgId);
    if (waiting) {
      this.emit('messages', this.messages());
      waiting.reject(Object.assign(new Error(e.message), { code: e.code }));
    }
    this.emit('refused', e);
  }

  /** A send of ours has its answer: no longer unsent; its waiter, if it is still waiting. */
  private answered(clientMsgId: string) {
    const waiting = this.awaiting.get(clientMsgId);
    if (!waiting) return undefined;
    this.awaiting.delete(clientMsgId);
    this.unsent.delete(clientMsgId);
    return waiting;
  }

  private clock(serverNow: string) {
    this.offsetMs = Date.parse(serverNow) - Date.now();
  }

  private setStatus(status: ConnectionStatus) {
    if (this.status === status || this.status === 'closed') return;
    this.status = status;
    this.emit('connection', status);
  }

  private patchTimer(patch: Partial<SessionStatePayload['timer']>) {
    if (!this.state) return;
    this.state = { ...this.state, timer: { ...this.state.timer, ...patch } };
    this.emit('timer', null);
    this.emit('state', this.state);
  }

  /** One `resume` at a time; a gap noticed while one runs asks for one more pass after it. */
  private fillGap() {
    if (this.resuming) {
      this.resumeAgain = true;
      return;
    }
    this.resuming = this.resume().finally(() => {
      this.resuming = null;
      if (this.resumeAgain && this.socket.connected) {
        this.resumeAgain = false;
        if (this.top > this.head) this.fillGap();
      }
    });
  }

  /** Everything after the unbroken run we hold, page by page (after a reconnect, a gap, a head). */
  private async resume() {
    for (;;) {
      if (!this.socket.connected) return;
      const r = await new Promise<Ack<{ messages: ChatMessage[]; more: boolean }>>((resolve) =>
        this.socket.emit('resume', { afterSeq: this.head }, resolve),
      );
      if (!r.ok) return;
      // `take` would ask again for what this very answer is about to fill.
      this.resumeAgain = false;
      this.take(r.data.messages);
      if (!r.data.more) return;
    }
  }

  private wire() {
    const s = this.socket;
    s.on('connect', () => this.setStatus('connected'));
    s.on('disconnect', (reason) => {
      // The server closing the room (session over) is final; anything else is retried.
      this.setStatus(
        reason === 'io server disconnect' && this.state?.state === 'ended'
          ? 'closed'
          : 'reconnecting',
      );
      if (reason === 'io server disconnect' && this.status !== 'closed') s.connect();
    });
    // A prepared transport re-opening before the join is no reconnection of the room.
    s.io.on('reconnect_attempt', () => s.active && this.setStatus('reconnecting'));
    s.on('connect_error', (err) => {
      const data = (err as Error & { data?: { code?: string; details?: unknown } }).data;
      // A refused handshake (bad link, session over, another protocol version) is not retried by socket.io: tell the view.
      if (data?.code) {
        this.setStatus('closed');
        this.emit('failed', {
          code: data.code,
          message: refusalMessage(data.code, err.message, data.details),
        });
      }
    });
    s.on('session:state', (state) => {
      const reconnected = this.state !== null;
      this.state = state;
      this.clock(state.timer.serverNow);
      // The first picture's oldest message is where history starts for us, not a gap.
      if (!reconnected && state.messages.length > 0)
        this.head = this.top = state.messages[0]!.seq - 1;
      this.take(state.messages);
      this.emit('state', state);
      if (reconnected) {
        // What came while we were away and is older than the picture's latest is a gap: take fills it.
        for (const [clientMsgId, text] of this.unsent)
          this.socket.emit('chat:send', { clientMsgId, text });
      }
    });
    s.on('chat:messages', (ms) => this.take(ms));
    s.on('chat:head', (p) => this.checkHead(p.seq));
    s.on('presence', (p) => {
      if (this.state)
        this.state = {
          ...this.state,
          participants: this.state.participants.map((x) => (x.role === p.role ? p : x)),
        };
      this.emit('presence', p);
      if (this.state) this.emit('state', this.state);
    });
    s.on('session:started', (p) => {
      this.clock(p.serverNow);
      if (this.state) this.state = { ...this.state, state: 'live' };
      this.patchTimer({
        startedAt: p.startedAt,
        endsAt: p.endsAt,
        paidUntil: p.paidUntil,
        serverNow: p.serverNow,
      });
    });
    s.on('session:paused', (p) => {
      this.clock(p.serverNow);
      this.patchTimer({ pausedAt: p.pausedAt, serverNow: p.serverNow });
    });
    s.on('session:extended', (p) => {
      this.clock(p.serverNow);
      this.patchTimer({
        endsAt: p.endsAt,
        paidUntil: p.paidUntil,
        pausedAt: null,
        serverNow: p.serverNow,
      });
    });
    s.on('billing:charged', (p) => {
      if (this.state) {
        // Each minute adds to what the client paid, and the expert's share to what they earned
        // (the split the server uses: the expert's part rounded down).
        const m = this.state.money;
        const money = m && {
          ...m,
          spent: m.spent === null ? null : m.spent + p.amount,
          earned:
            m.earned === null || m.expertPercent === null
              ? m.earned
              : m.earned + Math.floor((p.amount * m.expertPercent) / 100),
        };
        this.state = { ...this.state, balance: p.balance, ...(money && { money }) };
      }
      this.patchTimer({ paidUntil: p.paidUntil });
    });
    s.on('session:low_balance', (p) => this.emit('lowBalance', p));
    s.on('file:shared', (f) => this.emit('file', f));
    s.on('session:ended', (p) => {
      if (this.state)
        this.state = {
          ...this.state,
          state: 'ended',
          endReason: p.reason as SessionStatePayload['endReason'],
        };
      this.emit('ended', p);
      if (this.state) this.emit('state', this.state);
    });
    s.on('media:state', (p) => this.emit('media', p));
    s.on('signal', (p) => (this.signalHandler ? this.signalHandler(p) : this.signalQueue.push(p)));
    s.on('refused', (e) => this.refused(e));
  }
}
