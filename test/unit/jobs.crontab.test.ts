import { parseCrontab } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { CRONTAB } from '../../src/jobs/task-list.ts';

describe('the crontab', () => {
  it('parses, and names only tasks the worker knows', async () => {
    const items = parseCrontab(CRONTAB);
    expect(items.map((i) => i.task)).toEqual(['partner_center:schedule', 'partner_center:schedule']);
    expect(items.map((i) => i.payload)).toEqual([{ kind: 'unbilled' }, { kind: 'billed' }]);
    const { buildTaskList } = await import('../../src/jobs/task-list.ts');
    const known = Object.keys(buildTaskList({} as never));
    for (const item of items) expect(known).toContain(item.task);
  });
});
