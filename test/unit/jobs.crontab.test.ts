import { parseCrontab } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { buildTaskList, CRONTAB, selectTasks } from '../../src/jobs/task-list.ts';

describe('the crontab', () => {
  it('parses, and names only tasks the worker knows', async () => {
    const items = parseCrontab(CRONTAB);
    // One row per schedule: [task, payload].
    expect(items.map((i) => [i.task, i.payload ?? null])).toEqual([
      ['partner_center:schedule', { kind: 'unbilled' }],
      ['partner_center:schedule', { kind: 'billed' }],
      ['imports:sweep_uploads', null],
      ['connectwise:schedule', null],
      ['anomalies:scan', null],
      ['retention:usage_telemetry', null],
      ['partner_center:gdap_check', {}],
      ['drift:detect', null],
      ['crm:onboarding_check', null],
      ['autotask:schedule', null],
      ['erp:post_journals', {}],
      ['partner_center:licence_snapshot', {}],
      ['salesforce:sweep_won', null],
    ]);
    const known = Object.keys(buildTaskList({} as never));
    for (const item of items) expect(known).toContain(item.task);
  });

  it('syncs PSA time entries every 15 minutes', () => {
    const [psa] = parseCrontab(CRONTAB).filter((i) => i.task === 'connectwise:schedule');
    expect(psa!.match).toBeDefined();
    expect(CRONTAB).toMatch(/^\*\/15 \* \* \* \* connectwise:schedule /m);
    // Autotask has no webhooks for time entries or contracts: polling is its only way in.
    expect(CRONTAB).toMatch(/^\*\/15 \* \* \* \* autotask:schedule /m);
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
