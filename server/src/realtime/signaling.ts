import { realtimeLimits, type SignalSend } from '@hourglass/protocol';
import { fail } from '../platform/errors.ts';
import { capabilitiesOf } from '../sessions/rules.ts';

/** An SDP media line for video that is not rejected (port 0 rejects a stream). */
const VIDEO_MEDIA = /^m=video (?!0 )/m;

/**
 * D1 + D4: signaling is relayed only in sessions that carry media, only for the media the
 * booked type allows (a voice session's SDP may not carry video), and only up to a size.
 */
export function checkSignal(type: 'chat' | 'voice' | 'video', payload: SignalSend) {
  const caps = capabilitiesOf(type);
  if (!caps.audio && !caps.video) fail('not_allowed_for_type', 'A chat session carries no media.');
  if (Buffer.byteLength(JSON.stringify(payload)) > realtimeLimits.signalBytes) {
    fail('payload_too_large', `A signal may be at most ${realtimeLimits.signalBytes} bytes.`);
  }
  const sdp = 'description' in payload ? payload.description.sdp : undefined;
  if (!caps.video && sdp && VIDEO_MEDIA.test(sdp))
    fail('not_allowed_for_type', 'A voice session carries no video.');
}
