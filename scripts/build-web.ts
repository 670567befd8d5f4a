import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web app into web/dist when it is missing or older than its sources (web, sdk,
 * protocol), so `npm start` and the browser tests always serve the current app and a second
 * start costs nothing. `--force` builds regardless.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const sources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'sdk/src', 'protocol/src'].map(
  (p) => join(root, p),
);

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export async function buildWeb(force = false): Promise<boolean> {
  const built = join(root, 'web/dist/index.html');
  if (!force && existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest)))
    return false;
  const { build } = await import('vite');
  await build({
    root: join(root, 'web'),
    configFile: join(root, 'web/vite.config.ts'),
    logLevel: 'warn',
  });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const built = await buildWeb(process.argv.includes('--force'));
  console.log(built ? `web app built in ${Date.now() - started} ms` : 'web app is up to date');
}
