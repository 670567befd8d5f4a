import { configSchema } from './config.ts';

/** The README's configuration table, generated from the schema so the two cannot drift. */
export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
    const parsed = schema.safeParse(undefined);
    const value = parsed.success ? parsed.data : undefined;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    const shown = value === undefined || text === '' ? '—' : `\`${text}\``;
    return `| \`${name}\` | ${shown} | ${schema.description ?? ''} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(configTable());
