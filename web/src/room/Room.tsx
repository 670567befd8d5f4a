import { errorText } from '../format.ts';
import { useEffect, useState } from 'react';
import { MediaSession, SessionRoom, type ResponseOf } from '@hourglass/sdk';
import { asParticipant } from '../api.ts';
import { Chat } from './Chat.tsx';
import { Files } from './Files.tsx';
import { PrivateNotes } from './Notes.tsx';
import { Extend } from './Extend.tsx';
import { Preflight } from './Preflight.tsx';
import { Summary } from './Summary.tsx';
import { Video, Voice } from './Media.tsx';
import { Money } from './Money.tsx';
import { Timer } from './Timer.tsx';
import { TopUp } from '../wallet/TopUp.tsx';
import { useRoomUpdates } from './useRoom.ts';

type Check = ResponseOf<'validateToken'>;
type IceServers = ResponseOf<'iceServers'>;

const typeName = { chat: 'Chat', voice: 'Voice call', video: 'Video call' } as const;

/**
 * The session room behind a join link: what the link is for, then (on Join) the live room —
 * only what the booked type allows: chat, or voice (no video at all), or video.
 */
export function Room({ token }: { token: string }) {
  const [check, setCheck] = useState<Check | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [joined, setJoined] = useState(false);
  const [devices, setDevices] = useState<MediaStream | null>(null);
  useEffect(() => {
    asParticipant(token)
      .call('validateToken', { query: { token } })
      .then(setCheck, (err: unknown) => setError(errorText(err)));
  }, [token]);
  const joinable = !!check?.canJoinNow && check.session.state !== 'ended';
  const [session, setSession] = useState<Prepared | null>(null);
  useEffect(() => {
    if (!joinable || !check) return undefined;
    const prepared = prepare(token, check);
    setSession(prepared);
    return () => prepared.close();
  }, [token, joinable]); // check matters only through joinable (it is loaded once)

  if (error)
    return (
      <div className="card">
        <h2>This link does not work</h2>
        <p className="error" data-testid="link-error">
          {error}
        </p>
      </div>
    );
  if (!check) return <p className="muted">Loading…</p>;
  // Back after the end (a reload, the link again): the end page — rating, summary, files, notes.
  if (check.session.state === 'ended') {
    return (
      <Summary
        token={token}
        sessionId={check.session.id}
        you={check.participant.role}
        reason={check.session.endReason}
        counterpart={check.counterpart.name}
      />
    );
  }
  if (!joined) {
    const w = check.startWindow;
    const join = (stream: MediaStream | null) => {
      // The handshake leaves with the click, not after the room's first render; a refusal is
      // shown by the live room, which asks the same (idempotent) connect for its outcome.
      void session?.room.connect().catch(() => undefined);
      setDevices(stream);
      setJoined(true);
    };
    return (
      <div className="card" data-testid="lobby">
        <h2>
          {typeName[check.session.type]} with{' '}
          <span data-testid="counterpart">{check.counterpart.name}</span>
        </h2>
        <p className="muted">
          You join as the {check.participant.role}, {check.participant.name}.
        </p>
        {w && (
          <p className="muted">
            It can be joined from {new Date(w.opensAt).toLocaleString()} to{' '}
            {new Date(w.closesAt).toLocaleString()}.
          </p>
        )}
        {!check.canJoinNow ? (
          <p className="muted">Not open now.</p>
        ) : check.session.type === 'chat' ? (
          <button data-testid="join" onClick={() => join(null)}>
            Join
          </button>
        ) : (
          <Preflight
            kind={check.session.type}
            onDevices={(stream) => void session?.media(stream).catch(() => undefined)}
            onReady={join}
          />
        )}
      </div>
    );
  }
  if (!session) return <p className="muted">Joining…</p>;
  return <LiveRoom session={session} token={token} check={check} devices={devices} />;
}

interface Prepared {
  room: SessionRoom;
  /**
   * The call (voice, video) on these devices: made at the first ask — when the preflight has
   * opened the devices, before Join — so its offer and candidates are ready when the room is
   * joined. Asked again with other devices (a preflight retried), it is made anew.
   */
  media(devices: MediaStream | null): Promise<MediaSession>;
  close(): void;
}

/**
 * What Join needs, made ready while the lobby and its preflight are shown: the room's transport
 * is open (so Join sends only the handshake), the ICE servers are at hand and, once the devices
 * are open, the call's offer is made (docs/perf-log/, call-setup).
 */
function prepare(token: string, check: Check): Prepared {
  const room = new SessionRoom({ baseUrl: location.origin, token });
  room.prepare();
  const fetchIce = () =>
    asParticipant(token).call('iceServers', { params: { id: check.session.id } });
  const early = check.session.type === 'chat' ? null : fetchIce();
  early?.catch(() => undefined);
  const expiring = (expiresAt: string | null) =>
    !!expiresAt && Date.parse(expiresAt) - Date.now() < 60_000;
  async function iceServers() {
    const got = await early?.catch(() => null);
    // Asked again if that failed, or if its TURN credential is within a minute of expiring.
    return got && !expiring(got.expiresAt) ? got : fetchIce();
  }
  let made: {
    devices: MediaStream | null;
    servers: Promise<IceServers>;
    media: Promise<MediaSession>;
  } | null = null;
  const close = (m: Promise<MediaSession>) =>
    void m.then(
      (x) => x.close(),
      () => undefined,
    );
  return {
    room,
    async media(devices) {
      // Made again with other devices, or if it waited in the lobby until its TURN credential is about to expire.
      if (
        made?.devices === devices &&
        !expiring(
          await made.servers.then(
            (got) => got.expiresAt,
            () => null,
          ),
        )
      )
        return made.media;
      if (made) close(made.media);
      const kind = check.session.type as 'voice' | 'video';
      const servers = iceServers();
      const media = servers.then(async (got) => {
        const m = new MediaSession(room, kind, got.iceServers, check.participant.role);
        await m.start(devices ? { stream: devices } : {});
        return m;
      });
      made = { devices, servers, media };
      return media;
    },
    close() {
      room.close();
      if (made) close(made.media);
    },
  };
}

function LiveRoom({
  session,
  token,
  check,
  devices,
}: {
  session: Prepared;
  token: string;
  check: Check;
  devices: MediaStream | null;
}) {
  const room = session.room;
  const [media, setMedia] = useState<MediaSession | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [lowBalance, setLowBalance] = useState<number | null>(null);
  const [endError, setEndError] = useState<string | null>(null);
  useRoomUpdates(room);

  useEffect(() => {
    let cancelled = false;
    const offs = [
      room.on('failed', (e) => setFailure(errorText(e))),
      room.on('lowBalance', (p) => setLowBalance(p.minutesLeft)),
    ];
    const failed = (err: unknown) => !cancelled && setFailure(errorText(err));
    // The call's stage is drawn while the handshake is on its way (its media was made in the
    // lobby): the page's heaviest rendering is then done before the call is negotiated, not
    // at the moment its offer and answer are crossing (docs/perf-log/, call-setup).
    if (check.session.type !== 'chat') {
      session.media(devices).then((m) => {
        if (cancelled) return;
        // A handle for debugging from the console (and for the browser tests' getStats checks).
        (globalThis as { hourglass?: object }).hourglass = { room, media: m };
        setMedia(m);
      }, failed);
    }
    room.connect().catch(failed);
    return () => {
      cancelled = true;
      offs.forEach((off) => off());
    };
  }, [session]); // room is session.room; check and devices are fixed once the room is joined

  if (failure)
    return (
      <div className="card">
        <h2>Could not join</h2>
        <p className="error" data-testid="room-error">
          {failure}
        </p>
      </div>
    );
  // The room object holds the truth; its first state is what "joined" means.
  const s = room.state;
  if (s?.state === 'ended')
    return (
      <Summary
        token={token}
        sessionId={s.sessionId}
        you={s.you}
        reason={s.endReason}
        counterpart={check.counterpart.name}
      />
    );
  const type = check.session.type;
  const other = s?.participants.find((p) => p.role !== s.you);
  const offline = room.status === 'reconnecting';
  // Until the state comes, only the call's stage: each part keeps its place in the tree, so the stage is not drawn twice.
  return (
    <div className="room" data-testid={s ? 'room' : 'room-joining'} data-type={type}>
      {offline && (
        <div className="banner" data-testid="reconnect-banner" role="status">
          Connection lost — reconnecting…{' '}
          <button className="link" onClick={() => room.reconnectNow()}>
            Retry now
          </button>
        </div>
      )}
      {s && lowBalance !== null && s.you === 'client' && (
        <div className="banner" data-testid="low-balance" role="status">
          Your balance covers about {lowBalance} more minute{lowBalance === 1 ? '' : 's'}. Add money
          without leaving:
          <TopUp
            client={asParticipant(token)}
            compact
            onDone={(w) => w.balance >= 2 * (s.ratePerMinute ?? 0) && setLowBalance(null)}
          />
        </div>
      )}
      {s ? (
        <div className="room-head">
          <div>
            <strong data-testid="counterpart">{check.counterpart.name}</strong>{' '}
            <span
              className={`badge ${other?.status === 'present' ? 'ok' : ''}`}
              data-testid="presence"
            >
              {other?.status === 'present'
                ? 'here'
                : other?.status === 'away'
                  ? 'away'
                  : 'not joined yet'}
            </span>
          </div>
          <Timer room={room} />
          <Money room={room} />
        </div>
      ) : (
        <p className="muted">Joining…</p>
      )}
      {type === 'chat' && s && <Chat room={room} disabled={offline} />}
      {type === 'voice' &&
        (media ? (
          <Voice media={media} counterpart={check.counterpart.name} />
        ) : (
          <p className="muted">Starting the microphone…</p>
        ))}
      {type === 'video' &&
        (media ? <Video media={media} /> : <p className="muted">Starting the camera…</p>)}
      {s && (
        <>
          {s.you === 'client' && s.state === 'live' && s.timer.endsAt && (
            <Extend room={room} token={token} />
          )}
          <Files token={token} sessionId={s.sessionId} room={room} />
          <PrivateNotes token={token} sessionId={s.sessionId} />
          <div className="row end-row">
            {endError && (
              <span className="error" data-testid="end-error">
                {endError}
              </span>
            )}
            <button
              className="secondary"
              data-testid="end"
              onClick={() => {
                setEndError(null);
                void room
                  .end()
                  .catch((err: unknown) => setEndError(`Could not end: ${errorText(err)}`));
              }}
            >
              End session
            </button>
          </div>
        </>
      )}
    </div>
  );
}
