import { existsSync } from 'node:fs';

/** Debian's Chromium (`apt-get install -y chromium`), or HG_CHROMIUM. Browsers are never downloaded. */
export function chromiumPath(): string | undefined {
  return [process.env.HG_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p): p is string => !!p && existsSync(p),
  );
}
