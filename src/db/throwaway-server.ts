import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from './embedded-postgres.ts';

export interface ThrowawayServer {
  /** URL of the `postgres` maintenance database. */
  adminUrl: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * A PostgreSQL cluster in a temporary directory for a test run or a benchmark, tuned
 * for speed over durability (a crash loses nothing anyone wants). Removed on stop.
 */
export async function startThrowawayServer(options: { extraFlags?: string[] } = {}): Promise<ThrowawayServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-pg-'));
  await chmod(dir, 0o755); // as root, the server runs as the postgres user, which must reach it
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'pg'),
    user: 'hub',
    password: 'hub',
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', ...(options.extraFlags ?? [])],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://hub:hub@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
