import { describe, expect, it } from 'vitest';
import { capabilitiesOf, defaultLinkValidUntil, inStartWindow, startWindow } from './rules.ts';

const w = { beforeMin: 5, afterMin: 15 };
const at = new Date('2026-03-29T01:00:00Z');
const plus = (min: number) => new Date(at.getTime() + min * 60_000);

describe('session rules', () => {
  it('D1: each type carries only its media', () => {
    expect(capabilitiesOf('chat')).toEqual({ chat: true, audio: false, video: false });
    expect(capabilitiesOf('voice')).toEqual({ chat: false, audio: true, video: false });
    expect(capabilitiesOf('video')).toEqual({ chat: false, audio: true, video: true });
  });

  it('B6: the start window runs from 5 min before to 15 min after, edges included', () => {
    expect(startWindow(at, w)).toEqual({ opensAt: plus(-5), closesAt: plus(15) });
    expect(inStartWindow(plus(-5), at, w)).toBe(true);
    expect(inStartWindow(plus(15), at, w)).toBe(true);
    expect(inStartWindow(new Date(plus(-5).getTime() - 1), at, w)).toBe(false);
    expect(inStartWindow(new Date(plus(15).getTime() + 1), at, w)).toBe(false);
  });

  it('A3: scheduled links last through the dispute window after the latest possible end; on-demand links for the configured hours', () => {
    const s = { kind: 'scheduled' as const, scheduledAt: at, durationMinutes: 30 };
    expect(
      defaultLinkValidUntil(s, at, { ...w, linkValidHours: 24, escrowReleaseHours: 24 }),
    ).toEqual(plus(15 + 30 + 24 * 60));
    const o = { kind: 'on_demand' as const, scheduledAt: null, durationMinutes: null };
    expect(
      defaultLinkValidUntil(o, at, { ...w, linkValidHours: 24, escrowReleaseHours: 24 }),
    ).toEqual(plus(24 * 60));
  });
});
