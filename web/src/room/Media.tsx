import { useEffect, useRef, useState } from 'react';
import type { MediaSession, QualityStats } from '@hourglass/sdk';

function Quality({ media }: { media: MediaSession }) {
  const [q, setQ] = useState<QualityStats | null>(null);
  useEffect(() => {
    const t = setInterval(() => void media.stats().then(setQ), 2000);
    return () => clearInterval(t);
  }, [media]);
  if (!q) return null;
  const bad = (q.packetLoss ?? 0) > 0.05 || (q.rttMs ?? 0) > 400;
  return (
    <span className={bad ? 'badge warn' : 'badge'} data-testid="quality">
      {q.rttMs !== null ? `${Math.round(q.rttMs)} ms` : '—'} ·{' '}
      {q.packetLoss !== null ? `${(q.packetLoss * 100).toFixed(1)} % loss` : '—'}
    </span>
  );
}

/** Voice: an avatar, mute, the connection's state; the other side's audio plays in an <audio>, never a <video>. */
export function Voice({ media, counterpart }: { media: MediaSession; counterpart: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [muted, setMuted] = useState(false);
  const [status, setStatus] = useState<string>(media.pc.connectionState);
  useEffect(() => {
    const offs = [
      media.on('remote', (s) => audio.current && (audio.current.srcObject = s)),
      media.on('connection', setStatus),
    ];
    if (audio.current) audio.current.srcObject = media.remote;
    return () => offs.forEach((off) => off());
  }, [media]);
  return (
    <section className="stage voice">
      <div className="avatar" aria-hidden="true">
        {counterpart.slice(0, 1).toUpperCase()}
      </div>
      <p>{counterpart}</p>
      <p className="muted" data-testid="media-status">
        {status}
      </p>
      <audio ref={audio} autoPlay data-testid="remote-audio" />
      <div className="row">
        <button
          className="secondary"
          data-testid="mute"
          onClick={() => {
            media.setMuted(!muted);
            setMuted(!muted);
          }}
        >
          {muted ? 'Unmute' : 'Mute'}
        </button>
        <Quality media={media} />
      </div>
    </section>
  );
}

/**
 * Each remote kind in its own element, as LiveKit's `attach()` does: the picture in a muted
 * <video> holding only the video track, the sound in an <audio>. A <video> that also plays the
 * audio holds its first frame back to sync with the audio clock (WebRTC already keeps the two
 * in sync as it receives them); measured in bench/call-setup, this was most of the room's
 * extra time to the first frame.
 */
function attachRemote(
  media: MediaSession,
  video: HTMLVideoElement | null,
  audio: HTMLAudioElement | null,
) {
  const v = media.remote.getVideoTracks()[0];
  const a = media.remote.getAudioTracks()[0];
  if (video && v && (video.srcObject as MediaStream | null)?.getVideoTracks()[0] !== v)
    video.srcObject = new MediaStream([v]);
  if (audio && a && (audio.srcObject as MediaStream | null)?.getAudioTracks()[0] !== a)
    audio.srcObject = new MediaStream([a]);
}

/** Video: the other side large, our own preview mirrored, mute and camera toggles. */
export function Video({ media }: { media: MediaSession }) {
  const remote = useRef<HTMLVideoElement>(null);
  const sound = useRef<HTMLAudioElement>(null);
  const local = useRef<HTMLVideoElement>(null);
  const [muted, setMuted] = useState(false);
  const [camera, setCamera] = useState(true);
  const [status, setStatus] = useState<string>(media.pc.connectionState);
  useEffect(() => {
    const offs = [
      media.on('remote', () => attachRemote(media, remote.current, sound.current)),
      media.on('connection', setStatus),
    ];
    attachRemote(media, remote.current, sound.current);
    if (local.current) local.current.srcObject = media.local;
    return () => offs.forEach((off) => off());
  }, [media]);
  return (
    <section className="stage video">
      <video
        ref={remote}
        autoPlay
        playsInline
        muted
        className="remote"
        data-testid="remote-video"
      />
      <audio ref={sound} autoPlay data-testid="remote-audio" />
      <video
        ref={local}
        autoPlay
        playsInline
        muted
        className="local mirrored"
        data-testid="local-video"
      />
      <p className="muted" data-testid="media-status">
        {status}
      </p>
      <div className="row">
        <button
          className="secondary"
          data-testid="mute"
          onClick={() => {
            media.setMuted(!muted);
            setMuted(!muted);
          }}
        >
          {muted ? 'Unmute' : 'Mute'}
        </button>
        <button
          className="secondary"
          data-testid="camera"
          onClick={() => {
            media.setCamera(!camera);
            setCamera(!camera);
          }}
        >
          {camera ? 'Camera off' : 'Camera on'}
        </button>
        <Quality media={media} />
      </div>
    </section>
  );
}
