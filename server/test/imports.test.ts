import { describe, expect, it } from 'vitest';
import { findCycles, importsOf, pathAround, repositoryGraph } from '../../scripts/check-imports.ts';

/** `npm run lint`'s import check (scripts/check-imports.ts): it finds a cycle, and the tree has none. */
describe('import cycles', () => {
  it('finds a cycle made of a value import, a type import and a dynamic one, and says where it runs', () => {
    const files: Record<string, string> = {
      'server/src/a/service.ts':
        "import { rule } from '../b/rules.ts';\nexport const service = rule;",
      'server/src/b/rules.ts':
        "import type { Port } from '../c/port.ts';\nexport const rule = (p: Port) => p;",
      'server/src/c/port.ts':
        "export interface Port {}\nexport const load = () => import('../a/service.ts');",
      'server/src/d/leaf.ts': "import { rule } from '../b/rules.ts';\nimport { z } from 'zod';",
    };
    const graph = new Map(
      Object.entries(files).map(([f, text]) => [f, importsOf(f, text, (p) => p in files)]),
    );
    const cycles = findCycles(graph);
    expect(cycles).toEqual([
      ['server/src/a/service.ts', 'server/src/b/rules.ts', 'server/src/c/port.ts'],
    ]);
    expect(pathAround(graph, cycles[0]!)).toEqual([
      'server/src/a/service.ts',
      'server/src/b/rules.ts',
      'server/src/c/port.ts',
      'server/src/a/service.ts',
    ]);
  });

  it('the repository has no import cycle', () => {
    const graph = repositoryGraph();
    expect(graph.size).toBeGreaterThan(200);
    expect(findCycles(graph).map((c) => pathAround(graph, c).join(' → '))).toEqual([]);
  });
});
