import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeUpload } from '../../src/db/import-uploads.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Chunks of an uploaded file live in import_uploads until its import job has read them.
// A process that died mid-upload leaves chunks no import will ever read: the hourly
// imports:sweep_uploads task deletes those once idle for six hours, and the chunks of
// finished imports, and keeps everything an import may still need.
let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const limits = { maxBytes: 10_000_000, maxRows: 100_000 };
const file = (rows: number) => (async function* () {
  yield Buffer.from('CustomerId,ChargeType\n' + 'a,new\n'.repeat(rows));
})();
const store = (id: string) => storeUpload(hub.ctx.db, id, file(3), 'csv', limits);
const ageChunks = (id: string, hours: number) =>
  sql`update import_uploads set stored_at = now() - make_interval(hours => ${hours}) where import_id = ${id}`.execute(hub.ctx.db);
const addImport = (id: string, status: string, hoursAgo: number) =>
  sql`insert into imports (id, kind, format, status, errors, created_at) values (${id}, 'license', 'csv', ${status}, '[]', now() - make_interval(hours => ${hoursAgo}))`.execute(hub.ctx.db);
const remaining = async () =>
  (await hub.ctx.db.selectFrom('import_uploads').select('import_id').distinct().execute()).map((r) => r.import_id).sort();

describe('the upload sweep', () => {
  it('deletes abandoned and finished uploads, and keeps live uploads and queued or running imports', async () => {
    const ids = {
      abandoned: '00000000-0000-4000-8000-000000000001',
      arriving: '00000000-0000-4000-8000-000000000002',
      queuedOld: '00000000-0000-4000-8000-000000000003',
      running: '00000000-0000-4000-8000-000000000004',
      completed: '00000000-0000-4000-8000-000000000005',
      failed: '00000000-0000-4000-8000-000000000006',
    };
    for (const id of Object.values(ids)) await store(id);
    await ageChunks(ids.abandoned, 7);
    await ageChunks(ids.arriving, 5);
    await addImport(ids.queuedOld, 'queued', 30);
    await ageChunks(ids.queuedOld, 30);
    await addImport(ids.running, 'running', 8);
    await ageChunks(ids.running, 8);
    await addImport(ids.completed, 'completed', 0);
    await addImport(ids.failed, 'failed', 0);

    await buildTaskList(hub.ctx)['imports:sweep_uploads']!({}, {} as never);
    expect(await remaining()).toEqual([ids.arriving, ids.queuedOld, ids.running].sort());
    // Run again: nothing more goes.
    await buildTaskList(hub.ctx)['imports:sweep_uploads']!({}, {} as never);
    expect(await remaining()).toEqual([ids.arriving, ids.queuedOld, ids.running].sort());
  });
});
