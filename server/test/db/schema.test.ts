import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, dumpSchema } from '../../../scripts/dump-schema.ts';

const url = process.env.TEST_DATABASE_URL;
const schemaSql = () => readFileSync(SCHEMA_FILE, 'utf8');
/** Tables the migration runner keeps for itself; no service reads them through Kysely. */
const RUNNER_TABLES = new Set(['schema_migrations', 'schema_functions']);

/** Each table's columns and whether they may be null, from `CREATE TABLE` in schema.sql. */
function sqlTables(text: string): Map<string, Map<string, boolean>> {
  const tables = new Map<string, Map<string, boolean>>();
  for (const m of text.matchAll(
    /CREATE TABLE public\.(\w+) \(\n([\s\S]*?)\n\)(\nWITH \(.*\))?;/g,
  )) {
    const columns = new Map<string, boolean>();
    for (const line of m[2]!.split('\n')) {
      const col = /^ {4}(\w+) (.+?),?$/.exec(line);
      if (col && !/^CONSTRAINT$/i.test(col[1]!))
        columns.set(col[1]!, !/\bNOT NULL\b/.test(col[2]!));
    }
    tables.set(m[1]!, columns);
  }
  return tables;
}

/**
 * Whether a column's type admits null: `T | null` at the top (not inside a JSON document's
 * type), `Optional<T>` (schema.ts: a nullable column), or a `ColumnType<T, …>` or `Generated<T>`
 * whose selected type `T` does.
 */
function admitsNull(type: ts.TypeNode): boolean {
  if (ts.isUnionTypeNode(type))
    return type.types.some(
      (t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword,
    );
  if (!ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName.getText();
  if (name === 'Optional') return true;
  return (name === 'ColumnType' || name === 'Generated') && admitsNull(type.typeArguments![0]!);
}

/** Each table's columns and whether their type admits null, from the Kysely types in schema.ts. */
function kyselyTables(): Map<string, Map<string, boolean>> {
  const file = new URL('../../src/db/schema.ts', import.meta.url);
  const sf = ts.createSourceFile(
    'schema.ts',
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  for (const n of sf.statements) if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
  const tables = new Map<string, Map<string, boolean>>();
  for (const member of interfaces.get('DB')!.members) {
    if (!ts.isPropertySignature(member)) continue;
    const columns = new Map<string, boolean>();
    for (const c of interfaces.get(member.type!.getText())!.members) {
      if (!ts.isPropertySignature(c)) continue;
      columns.set(c.name.getText(), admitsNull(c.type!));
    }
    tables.set(member.name.getText(), columns);
  }
  return tables;
}

describe('the database schema', () => {
  it('db/schema.ts names every table and column of db/schema.sql, null where the column may be null', () => {
    const fromSql = sqlTables(schemaSql());
    expect(fromSql.size).toBeGreaterThan(20);
    const fromTs = kyselyTables();
    const shape = (tables: Map<string, Map<string, boolean>>) =>
      Object.fromEntries(
        [...tables]
          .filter(([t]) => !RUNNER_TABLES.has(t))
          .sort()
          .map(([t, cols]) => [t, Object.fromEntries([...cols].sort())]),
      );
    expect(shape(fromTs)).toEqual(shape(fromSql));
  });

  it.skipIf(!url)(
    'db/schema.sql is what the migrations and functions make (npm run db:schema rewrites it)',
    async () => {
      expect(await dumpSchema(url!)).toBe(schemaSql());
    },
    60_000,
  );
});
