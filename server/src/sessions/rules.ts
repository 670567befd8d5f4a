import type { Capabilities, SessionType } from '@hourglass/protocol';

/** What each booked type carries; the server refuses anything else (D1). */
export function capabilitiesOf(type: SessionType): Capabilities {
  switch (type) {
    case 'chat':
      return { chat: true, audio: false, video: false };
    case 'voice':
      return { chat: false, audio: true, video: false };
    case 'video':
      return { chat: false, audio: true, video: true };
  }
}

export interface WindowSettings {
  beforeMin: number;
  afterMin: number;
}

/** A scheduled session can be started from `beforeMin` before to `afterMin` after its time (B6). */
export function startWindow(scheduledAt: Date, w: WindowSettings) {
  return {
    opensAt: new Date(scheduledAt.getTime() - w.beforeMin * 60_000),
    closesAt: new Date(scheduledAt.getTime() + w.afterMin * 60_000),
  };
}

export function inStartWindow(now: Date, scheduledAt: Date, w: WindowSettings): boolean {
  const { opensAt, closesAt } = startWindow(scheduledAt, w);
  return now >= opensAt && now <= closesAt;
}

/**
 * Default validity of join links. A scheduled session's last until its dispute window closes
 * after the latest moment it could end (started at the close of its window): a host platform's
 * client may hold nothing but this link to see the summary or open a dispute. An on-demand
 * session's last `linkValidHours`.
 */
export function defaultLinkValidUntil(
  s: { kind: 'scheduled' | 'on_demand'; scheduledAt: Date | null; durationMinutes: number | null },
  now: Date,
  w: WindowSettings & { linkValidHours: number; escrowReleaseHours: number },
): Date {
  if (s.kind === 'scheduled' && s.scheduledAt && s.durationMinutes) {
    return new Date(
      s.scheduledAt.getTime() +
        (w.afterMin + s.durationMinutes + w.escrowReleaseHours * 60) * 60_000,
    );
  }
  return new Date(now.getTime() + w.linkValidHours * 3_600_000);
}
