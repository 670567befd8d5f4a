/**
 * Fault injection for tests: named points in the code where a real process can be made to die,
 * so a test can kill a node at the exact instant that would break a promise (a chat message
 * committed but not yet published, say) instead of hoping a SIGKILL lands there. Armed by the
 * FAULTS setting (a separate process) or by `arm` (in-process); unarmed, a point costs a
 * property read.
 */
export type FaultPoint =
  /** A chat batch is committed and not yet published (realtime/chat.ts). */
  | 'chat.committed'
  /** A handshake has resolved its join token and not yet locked the session (realtime/gateway.ts). */
  | 'realtime.token_resolved';

/**
 * What an armed point does when reached with details that match: by default, SIGKILL itself.
 * An in-process test may return a promise, which an async point waits for (to run something
 * else exactly there).
 */
type Action = (details: readonly string[]) => void | Promise<void>;

const killSelf: Action = () => {
  process.kill(process.pid, 'SIGKILL');
};

export class Faults {
  private readonly armed = new Map<FaultPoint, Action>();

  /** `spec`: FAULTS, e.g. `chat.committed=kill@die-here` (kill when a detail contains `die-here`). */
  constructor(spec?: string) {
    for (const part of spec?.split(',') ?? []) {
      const [point, action] = part.split('=') as [FaultPoint, string];
      const text = action.includes('@') ? action.slice(action.indexOf('@') + 1) : undefined;
      this.arm(point, (details) => {
        if (text === undefined || details.some((d) => d.includes(text))) killSelf(details);
      });
    }
  }

  get any(): boolean {
    return this.armed.size > 0;
  }

  arm(point: FaultPoint, action: Action): void {
    this.armed.set(point, action);
  }

  disarm(point: FaultPoint): void {
    this.armed.delete(point);
  }

  /** Reached `point`; `details` says what is at stake there (computed only when armed). */
  hit(point: FaultPoint, details: () => readonly string[]): void | Promise<void> {
    const action = this.armed.get(point);
    return action?.(details());
  }
}
