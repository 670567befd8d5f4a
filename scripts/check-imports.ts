import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * `npm run lint`'s import check: no import cycle anywhere in the repository's own code. Type
 * imports count too: they vanish at run time, but an interface whose module needs its
 * implementation's is in the wrong file, and the cycle still couples the two for a reader.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['protocol', 'server', 'sdk', 'web', 'test-support', 'bench', 'scripts'];
const SKIP = new Set(['node_modules', 'dist', '.data', 'public', 'coverage']);
/** The workspaces' package names, as their entry files. */
const PACKAGES: Record<string, string> = {
  '@hourglass/protocol': 'protocol/src/index.ts',
  '@hourglass/sdk': 'sdk/src/index.ts',
};

/** Every .ts/.tsx file under `dir`, relative to the repository. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (SKIP.has(name)) continue;
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return out;
}

/** What `file` imports of the repository's own files (static, dynamic, re-exports and type-only alike). */
export function importsOf(file: string, text: string, exists: (path: string) => boolean): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const out: string[] = [];
  for (const { fileName: spec } of importedFiles) {
    const target = spec.startsWith('.') ? join(dirname(file), spec) : PACKAGES[spec];
    if (target && exists(target)) out.push(target);
  }
  return out;
}

/** The graph's cycles: each strongly connected component of more than one file, or a file importing itself (Tarjan). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One path around a cycle, for the message: a → b → … → a. */
export function pathAround(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(seen.get(path[0]!)!);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

/** The repository's import graph. */
export function repositoryGraph(): Map<string, string[]> {
  const files = SOURCE_DIRS.flatMap(sourceFiles);
  const known = new Set(files);
  return new Map(
    files.map((f) => [f, importsOf(f, readFileSync(join(root, f), 'utf8'), (p) => known.has(p))]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const graph = repositoryGraph();
  const cycles = findCycles(graph);
  for (const c of cycles)
    console.error(`import cycle (${c.length} files):\n  ${pathAround(graph, c).join('\n  → ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log(`imports: ${graph.size} files, no cycle`);
}
