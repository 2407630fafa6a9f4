import { parseCrontab } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { buildTaskList, CRONTAB, selectTasks } from '../../src/jobs/task-list.ts';

describe('the crontab', () => {
  it('parses, and names only tasks the worker knows', async () => {
    const items = parseCrontab(CRONTAB);
    expect(items.map((i) => i.task)).toEqual(['partner_center:schedule', 'partner_center:schedule', 'drift:detect']);
    expect(items.slice(0, 2).map((i) => i.payload)).toEqual([{ kind: 'unbilled' }, { kind: 'billed' }]);
    const known = Object.keys(buildTaskList({} as never));
    for (const item of items) expect(known).toContain(item.task);
  });
});

describe('selectTasks (WORKER_TASKS)', () => {
  const all = buildTaskList({} as never);

  it('keeps every task without patterns, and exact identifiers or prefix:* ones with', () => {
    expect(selectTasks(all, null)).toBe(all);
    expect(Object.keys(selectTasks(all, ['billing:*'])).sort()).toEqual(['billing:close', 'billing:close_customer']);
    expect(Object.keys(selectTasks(all, ['billing:close', 'webhook:*'])).sort()).toEqual(['billing:close', 'webhook:process']);
    expect(Object.keys(selectTasks(all, ['partner_center:*']))).toContain('partner_center:usage_blob');
  });

  it('refuses a pattern that matches nothing, and does not read a bare prefix as one', () => {
    expect(() => selectTasks(all, ['billing'])).toThrow(/WORKER_TASKS: "billing" matches no task/);
    expect(() => selectTasks(all, ['billing:*', 'psa:*'])).toThrow(/"psa:\*"/);
  });
});
