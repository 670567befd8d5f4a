import { useCallback, useEffect, useRef, useState } from 'react';

type Check = { state: 'checking' | 'ok' | 'failed'; detail: string };
const checking: Check = { state: 'checking', detail: 'checking…' };
/** A round trip to the server above this is too slow for a call. */
const MAX_RTT_MS = 1500;

function deviceProblem(err: unknown, what: string): string {
  const name = (err as { name?: string }).name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return `Access to the ${what} is blocked: allow it in the browser (the icon in the address bar), then retry.`;
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return `No ${what} found: connect one, then retry.`;
  if (name === 'NotReadableError')
    return `The ${what} is in use by another application: close it, then retry.`;
  return `The ${what} could not be started: close other applications that use it, then retry.`;
}

/** Median of three round trips to the server (`/healthz`), in ms. */
async function roundTrip(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await fetch('/healthz', { cache: 'no-store' });
    if (!r.ok) throw new Error(`the server answered ${r.status}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[1]!;
}

/**
 * D-preflight before a voice or video join: the microphone (with a live level meter), the
 * camera (video only: a frame must arrive), and the network round trip to the server. Join
 * stays blocked, with the reason, until all pass; Retry runs them again. The stream it opened
 * is handed to the room, so the browser asks for the devices once.
 */
export function Preflight({
  kind,
  onReady,
  onDevices,
}: {
  kind: 'voice' | 'video';
  onReady: (stream: MediaStream | null) => void;
  /** The devices are open (each run of the checks): the room may get the call ready on them. */
  onDevices?: (stream: MediaStream) => void;
}) {
  const [mic, setMic] = useState<Check>(checking);
  const [cam, setCam] = useState<Check>(checking);
  const [net, setNet] = useState<Check>(checking);
  const [level, setLevel] = useState(0);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const [run, setRun] = useState(0);
  // The latest callback, without re-running the checks when the parent renders anew.
  const devicesOpened = useRef(onDevices);
  devicesOpened.current = onDevices;

  const check = useCallback(
    async (signal: { stop: boolean }) => {
      setMic(checking);
      setCam(checking);
      setNet(checking);
      roundTrip().then(
        (ms) =>
          setNet(
            ms <= MAX_RTT_MS
              ? { state: 'ok', detail: `${Math.round(ms)} ms to the server` }
              : {
                  state: 'failed',
                  detail: `${Math.round(ms)} ms to the server: too slow for a call`,
                },
          ),
        () =>
          setNet({
            state: 'failed',
            detail: 'The server cannot be reached: check your connection, then retry.',
          }),
      );
      try {
        const s = await navigator.mediaDevices.getUserMedia({
          audio: true,
          ...(kind === 'video' && { video: true }),
        });
        if (signal.stop) return s.getTracks().forEach((t) => t.stop());
        setStream(s);
        devicesOpened.current?.(s);
        const audio = s.getAudioTracks()[0];
        setMic(
          audio?.readyState === 'live'
            ? { state: 'ok', detail: audio.label || 'microphone on' }
            : { state: 'failed', detail: 'The microphone gave no sound track.' },
        );
        if (kind === 'video') {
          const video = s.getVideoTracks()[0];
          if (!video) setCam({ state: 'failed', detail: 'The camera gave no picture.' });
        }
      } catch (err) {
        setMic({
          state: 'failed',
          detail: deviceProblem(err, kind === 'video' ? 'camera and microphone' : 'microphone'),
        });
        if (kind === 'video') setCam({ state: 'failed', detail: deviceProblem(err, 'camera') });
      }
    },
    [kind],
  );

  useEffect(() => {
    const signal = { stop: false };
    void check(signal);
    return () => {
      signal.stop = true;
    };
  }, [check, run]);

  // The level meter: the microphone's loudness, a few times a second.
  useEffect(() => {
    if (!stream?.getAudioTracks().length) return undefined;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    const t = setInterval(() => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      setLevel(peak / 128);
    }, 100);
    return () => {
      clearInterval(t);
      void ctx.close();
    };
  }, [stream]);

  // The camera passes when a frame has been shown.
  useEffect(() => {
    const v = preview.current;
    if (kind !== 'video' || !stream || !v) return;
    v.srcObject = stream;
    v.onloadeddata = () =>
      setCam(
        v.videoWidth > 0
          ? { state: 'ok', detail: `${v.videoWidth}×${v.videoHeight}` }
          : { state: 'failed', detail: 'The camera gave no picture.' },
      );
  }, [kind, stream]);

  const checks: [string, Check][] = [
    ['Microphone', mic],
    ...(kind === 'video' ? ([['Camera', cam]] as [string, Check][]) : []),
    ['Network', net],
  ];
  const ready = checks.every(([, c]) => c.state === 'ok');
  const failed = checks.some(([, c]) => c.state === 'failed');

  return (
    <div className="preflight" data-testid="preflight" data-ready={ready}>
      {kind === 'video' && (
        <video
          ref={preview}
          autoPlay
          playsInline
          muted
          className="preview mirrored"
          data-testid="preflight-video"
        />
      )}
      <ul className="checks">
        {checks.map(([name, c]) => (
          <li key={name} data-testid={`check-${name.toLowerCase()}`} data-state={c.state}>
            <span className={c.state === 'ok' ? 'ok' : c.state === 'failed' ? 'error' : 'muted'}>
              {c.state === 'ok' ? '✓' : c.state === 'failed' ? '✕' : '…'}
            </span>{' '}
            <strong>{name}</strong>{' '}
            <span className={c.state === 'failed' ? 'error' : 'muted'}>{c.detail}</span>
            {name === 'Microphone' && c.state === 'ok' && (
              <meter data-testid="mic-level" min={0} max={1} value={level} />
            )}
          </li>
        ))}
      </ul>
      <div className="row">
        <button data-testid="join" disabled={!ready} onClick={() => onReady(stream)}>
          Join
        </button>
        {failed && (
          <button
            className="secondary"
            data-testid="preflight-retry"
            onClick={() => {
              stream?.getTracks().forEach((t) => t.stop());
              setStream(null);
              setRun((n) => n + 1);
            }}
          >
            Retry
          </button>
        )}
      </div>
    </div>
  );
}
