import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { ensureDatabase } from '../../src/db/embedded-server.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { startThrowawayServer } from '../../src/db/throwaway-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the maintenance database of the run's PostgreSQL (create/drop databases there). */
    pgAdminUrl: string;
    /** Name of the migrated template each test file's database is cloned from. */
    pgTemplate: string;
  }
}

const TEMPLATE = 'hub_template';

/**
 * One PostgreSQL per test run: a throwaway embedded cluster by default, or
 * TEST_DATABASE_URL (a maintenance database of a server the tests may create databases on).
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const server = await startThrowawayServer();
    adminUrl = server.adminUrl;
    stop = server.stop;
  }
  await ensureDatabase(adminUrl, TEMPLATE);
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE}`;
  const template = openDatabase(url.toString(), { max: 2 });
  await migrateToLatest(template.db, template.pool);
  await template.close();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  return stop;
}
