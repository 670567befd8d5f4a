/**
 * What a connection holds, by kind of object: compares the heap snapshots `bench/realtime
 * --snapshots DIR` writes (1 before connecting, 2 at half, 3 with every participant connected)
 * for the bare relay and for Hourglass, per participant.
 *
 *   node --max-old-space-size=12000 --import tsx bench/realtime/heap-diff.ts DIR PARTICIPANTS_ADDED [FROM TO]
 *
 * FROM and TO are snapshot numbers (default 2 and 3: the second half of the connections, so
 * that code first run by the early connections is not counted as theirs). Prints each kind
 * (V8's node type and constructor name) by how much more Hourglass holds of it per participant.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}
type Kinds = Map<string, { count: number; bytes: number }>;

function kinds(file: string): Kinds {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = s.snapshot.meta.node_types[0];
  const out: Kinds = new Map();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const t = types[s.nodes[i + type]!]!;
    // Strings and code are named by their content: one kind each.
    const label = /string|code|number/.test(t)
      ? t
      : `${t}: ${s.strings[s.nodes[i + name]!]!.slice(0, 50)}`;
    const k = out.get(label) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += s.nodes[i + size]!;
    out.set(label, k);
  }
  return out;
}

function grown(dir: string, label: string, from: string, to: string): Kinds {
  const [a, b] = [from, to].map((n) => kinds(`${dir}/${label}-${n}.heapsnapshot`)) as [
    Kinds,
    Kinds,
  ];
  const out: Kinds = new Map();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b.get(key) ?? { count: 0, bytes: 0 };
    out.set(key, { count: y.count - x.count, bytes: y.bytes - x.bytes });
  }
  return out;
}

const [dir, added, from = '2', to = '3'] = process.argv.slice(2);
if (!dir || !added) throw new Error('usage: heap-diff.ts DIR PARTICIPANTS_ADDED [FROM TO]');
const n = Number(added);
const bare = grown(dir, 'bare-relay', from, to);
const hourglass = grown(dir, 'hourglass', from, to);
const total = (k: Kinds) => [...k.values()].reduce((sum, v) => sum + v.bytes, 0) / n;
console.log(
  `bytes per participant: bare relay ${total(bare).toFixed(0)}, Hourglass ${total(hourglass).toFixed(0)}\n`,
);
console.log('kind | bare count / bytes | Hourglass count / bytes | difference (bytes)');
const zero = { count: 0, bytes: 0 };
const rows = [...new Set([...bare.keys(), ...hourglass.keys()])].map((key) => ({
  key,
  b: bare.get(key) ?? zero,
  h: hourglass.get(key) ?? zero,
}));
rows.sort((x, y) => Math.abs(y.h.bytes - y.b.bytes) - Math.abs(x.h.bytes - x.b.bytes));
for (const { key, b, h } of rows.slice(0, 25)) {
  const per = (v: { count: number; bytes: number }) =>
    `${(v.count / n).toFixed(2)} / ${(v.bytes / n).toFixed(0)}`;
  console.log(`${key} | ${per(b)} | ${per(h)} | ${((h.bytes - b.bytes) / n).toFixed(0)}`);
}
