import pg from 'pg';

/** Creates a database on the server of `baseUrl` and returns its URL. */
export async function createDatabase(baseUrl: string, name: string): Promise<string> {
  await adminQuery(baseUrl, `create database "${name}"`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops it, closing whatever is still connected. */
export const dropDatabase = (baseUrl: string, name: string) =>
  adminQuery(baseUrl, `drop database if exists "${name}" with (force)`);

async function adminQuery(baseUrl: string, text: string) {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}
