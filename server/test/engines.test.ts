import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

/**
 * The Node versions the project says it runs on must be ones every installed package accepts:
 * otherwise `npm install` warns (EBADENGINE) and the package may rely on what that Node lacks.
 * Checked on the lockfile, which is what `npm ci` installs.
 */
describe('engines', () => {
  it("every package in the lockfile accepts every Node version the project's engines allow", () => {
    const ours: string = read('package.json').engines.node;
    const lock = read('package-lock.json') as {
      packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(
        ([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined,
      )
      .filter(
        ([, p]) =>
          !semver.subset(ours, (p.engines as { node: string }).node, { includePrerelease: false }),
      )
      .map(
        ([path, p]) =>
          `${path.replace(/^.*node_modules\//, '')}: ${(p.engines as { node: string }).node}`,
      );
    expect(refusing).toEqual([]);
  });
});
