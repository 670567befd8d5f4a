import type { SignalSend } from '@hourglass/protocol';
import { Emitter } from './emitter.ts';
import type { SessionRoom } from './room.ts';

export interface MediaEvents extends Record<string, unknown> {
  remote: MediaStream;
  /** The peer connection's state: new, connecting, connected, disconnected, failed, closed. */
  connection: RTCPeerConnectionState;
}

/** How long the expert, once the client is there, waits for the client's offer before it offers itself. */
const OFFER_WAIT_MS = 1500;

export interface QualityStats {
  /** Round trip of the selected candidate pair, in ms. */
  rttMs: number | null;
  /** Of inbound packets, the part lost so far (0…1). */
  packetLoss: number | null;
  inboundBytes: { audio: number; video: number };
}

/**
 * WebRTC for one participant of a voice or video room, with the perfect-negotiation pattern
 * (w3c webrtc-pc §10.7): either side may offer at any time; on a collision the polite side
 * (the client) rolls back and answers, the impolite side (the expert) ignores the other's
 * offer. ICE servers come from the server (`GET /api/sessions/{id}/ice-servers`). Only what
 * the booked type allows is asked of the browser: audio, plus video for video sessions.
 */
export class MediaSession extends Emitter<MediaEvents> {
  readonly pc: RTCPeerConnection;
  readonly remote = new MediaStream();
  local: MediaStream | null = null;
  private makingOffer = false;
  private ignoreOffer = false;
  /** The expert's first negotiation, held back for the client's offer (negotiate). */
  private deferred = false;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private fallback: ReturnType<typeof setTimeout> | undefined;
  private readonly polite: boolean;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly room: SessionRoom,
    private readonly kind: 'voice' | 'video',
    iceServers: RTCIceServer[],
    /** Whose media this is; needed when it is made before the room is joined (room.you is not known yet). */
    role: 'client' | 'expert' | null = room.you,
  ) {
    super();
    if (!role)
      throw new Error('MediaSession: the role is not known before the room is joined; pass it');
    this.polite = role === 'client';
    this.pc = new RTCPeerConnection({ iceServers });
    this.pc.ontrack = ({ track }) => {
      if (!this.remote.getTracks().includes(track)) this.remote.addTrack(track);
      this.emit('remote', this.remote);
    };
    // Before the first join the offer's description carries the candidates (nudge sends it):
    // trickled ones would reach the other side ahead of it.
    this.pc.onicecandidate = ({ candidate }) =>
      room.state && room.signal({ candidate: candidate ? (candidate.toJSON() as never) : null });
    this.pc.onnegotiationneeded = () => this.negotiate();
    this.pc.onconnectionstatechange = () => this.emit('connection', this.pc.connectionState);
    this.pc.onsignalingstatechange = () => this.watch();
    this.unsubscribe.push(room.onSignal((s) => void this.onSignal(s)));
    // The other side arrived (or came back): make sure it has our offer, or start over.
    this.unsubscribe.push(
      room.on('presence', (p) => {
        if (p.role !== room.you && p.status === 'present') this.nudge();
      }),
    );
    this.unsubscribe.push(
      room.on('connection', (c) => {
        if (c === 'connected') this.nudge();
      }),
    );
  }

  /**
   * Sends the devices the type needs: a stream already opened (a preflight's), or asks for
   * them — audio, and video only for a video session.
   */
  async start(
    devices: {
      stream?: MediaStream;
      audio?: MediaTrackConstraints | boolean;
      video?: MediaTrackConstraints | boolean;
    } = {},
  ): Promise<MediaStream> {
    const wantVideo = this.kind === 'video';
    this.local =
      devices.stream ??
      (await navigator.mediaDevices.getUserMedia({
        audio: devices.audio ?? true,
        ...(wantVideo && { video: devices.video ?? true }),
      }));
    if (!wantVideo) for (const t of this.local.getVideoTracks()) this.local.removeTrack(t);
    for (const track of this.local.getTracks()) this.pc.addTrack(track, this.local);
    this.room.setMediaState(this.mediaState());
    return this.local;
  }

  setMuted(muted: boolean) {
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.room.setMediaState(this.mediaState());
  }

  setCamera(on: boolean) {
    for (const t of this.local?.getVideoTracks() ?? []) t.enabled = on;
    this.room.setMediaState(this.mediaState());
  }

  async stats(): Promise<QualityStats> {
    const out: QualityStats = {
      rttMs: null,
      packetLoss: null,
      inboundBytes: { audio: 0, video: 0 },
    };
    let received = 0;
    let lost = 0;
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === 'candidate-pair' && r.nominated && typeof r.currentRoundTripTime === 'number')
        out.rttMs = r.currentRoundTripTime * 1000;
      if (r.type === 'inbound-rtp') {
        const kind = r.kind as 'audio' | 'video';
        out.inboundBytes[kind] += r.bytesReceived ?? 0;
        received += r.packetsReceived ?? 0;
        lost += Math.max(0, r.packetsLost ?? 0);
      }
    });
    if (received + lost > 0) out.packetLoss = lost / (received + lost);
    return out;
  }

  close() {
    clearTimeout(this.watchdog);
    clearTimeout(this.fallback);
    for (const u of this.unsubscribe.splice(0)) u();
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.pc.close();
  }

  private mediaState() {
    return {
      audio: this.local?.getAudioTracks().some((t) => t.enabled) ?? false,
      video: this.local?.getVideoTracks().some((t) => t.enabled) ?? false,
    };
  }

  /**
   * Who offers. The client makes the first offer, at once — before it has joined, when the
   * media is made during its preflight — so its candidates are gathered by the time it joins,
   * and the offer goes out (again) the moment its socket connects and whenever the expert
   * arrives (nudge). The expert answers; that makes the expert — whose picture the client waits
   * for — set its sending streams up when it answers, not only when an answer comes back
   * (docs/perf-log/, call-setup). The expert offers first only if no offer comes within
   * a moment of the client's arrival. Later negotiations (ICE restarts) are offered by either
   * side; two offers crossing are resolved by perfect negotiation (the client rolls back).
   */
  private negotiate() {
    if (this.polite || this.pc.remoteDescription) {
      this.deferred = false;
      void this.offer();
      return;
    }
    this.deferred = true;
    clearTimeout(this.fallback);
    this.fallback = setTimeout(() => {
      if (
        this.deferred &&
        this.pc.signalingState === 'stable' &&
        !this.pc.remoteDescription &&
        this.otherPresent()
      ) {
        this.deferred = false;
        void this.offer();
      }
    }, OFFER_WAIT_MS);
  }

  private otherPresent() {
    return (
      this.room.state?.participants.some(
        (p) => p.role !== this.room.you && p.status === 'present',
      ) ?? false
    );
  }

  private async offer() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      // A remote offer may have rolled ours back meanwhile (a collision): then there is nothing to
      // send. Alone, the offer waits for the other side (nudge sends it with every candidate).
      if (this.pc.signalingState === 'have-local-offer' && this.otherPresent())
        this.room.signal({ description: this.pc.localDescription!.toJSON() as never });
    } finally {
      this.makingOffer = false;
    }
  }

  /**
   * Negotiated but ICE never started (no candidates got through — seen in Chromium after a
   * collision's rollback): restart ICE, which negotiates again with fresh candidates.
   */
  private watch() {
    clearTimeout(this.watchdog);
    if (this.pc.signalingState !== 'stable' || !this.pc.remoteDescription) return;
    this.watchdog = setTimeout(() => {
      if (this.pc.signalingState === 'stable' && this.pc.iceConnectionState === 'new')
        this.pc.restartIce();
    }, 2000);
  }

  /**
   * The other side arrived (or came back): a negotiation held back while it was away starts
   * now; an offer it may never have seen is sent again; a connection that broke restarts ICE.
   */
  private nudge() {
    if (this.pc.signalingState === 'closed') return;
    if (this.pc.signalingState === 'have-local-offer' && this.pc.localDescription) {
      this.room.signal({ description: this.pc.localDescription.toJSON() as never });
    } else if (this.deferred && this.pc.signalingState === 'stable') {
      this.negotiate();
    } else if (
      this.pc.signalingState === 'stable' &&
      ['disconnected', 'failed'].includes(this.pc.connectionState)
    ) {
      this.pc.restartIce();
    }
  }

  private async onSignal(s: SignalSend) {
    if ('description' in s) {
      const description = s.description as RTCSessionDescriptionInit;
      const collision =
        description.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      // A repeated answer (the nudge above, seen twice) is not an error worth breaking on.
      if (description.type === 'answer' && this.pc.signalingState === 'stable') return;
      await this.pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        // Answering carries our tracks too: a negotiation we held back is served by it.
        this.deferred = false;
        await this.pc.setLocalDescription();
        this.room.signal({ description: this.pc.localDescription!.toJSON() as never });
      }
    } else {
      try {
        await this.pc.addIceCandidate(s.candidate ?? undefined);
      } catch (err) {
        if (!this.ignoreOffer) throw err;
      }
    }
  }
}
