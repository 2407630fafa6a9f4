import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { canonicalJson } from '../../src/db/audit.ts';

describe('configuration', () => {
  it('defaults to the embedded database on 127.0.0.1:3000 with data under .data', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ databaseUrl: undefined, host: '127.0.0.1', port: 3000 });
    expect(c.dataDir.endsWith('.data')).toBe(true);
  });

  it('reads every variable and names a bad one', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://x/y', HUB_DATA_DIR: '/tmp/hubdata', HOST: '0.0.0.0', PORT: '8080', WORKER_CONCURRENCY: '8' });
    expect(c).toMatchObject({ databaseUrl: 'postgres://x/y', dataDir: '/tmp/hubdata', host: '0.0.0.0', port: 8080, workerConcurrency: 8 });
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('reads HUB_WORKER_POLL_MS (absent: graphile-worker\'s 2 s) and names a bad one', () => {
    expect(loadConfig({}).workerPollMs).toBe(2000);
    expect(loadConfig({ HUB_WORKER_POLL_MS: '250' }).workerPollMs).toBe(250);
    expect(() => loadConfig({ HUB_WORKER_POLL_MS: 'soon' })).toThrow(/HUB_WORKER_POLL_MS/);
  });

  it('reads WORKER_TASKS as a list (absent: every task) and refuses an empty item', () => {
    expect(loadConfig({}).workerTasks).toBeNull();
    expect(loadConfig({ WORKER_TASKS: ' ' }).workerTasks).toBeNull();
    expect(loadConfig({ WORKER_TASKS: 'billing:*, webhook:process' }).workerTasks).toEqual(['billing:*', 'webhook:process']);
    expect(() => loadConfig({ WORKER_TASKS: 'billing:*,,webhook:*' })).toThrow(/WORKER_TASKS/);
  });

  it('reads HUB_PUBLIC_URL as a base URL without trailing slash (absent: null), and names a bad one', () => {
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(loadConfig({ HUB_PUBLIC_URL: 'https://billing.example.com/' }).publicUrl).toBe('https://billing.example.com');
    expect(loadConfig({ HUB_PUBLIC_URL: 'https://example.com/hub' }).publicUrl).toBe('https://example.com/hub');
    expect(() => loadConfig({ HUB_PUBLIC_URL: 'billing.example.com' })).toThrow(/HUB_PUBLIC_URL must be an absolute URL/);
    expect(() => loadConfig({ HUB_PUBLIC_URL: 'ftp://example.com' })).toThrow(/HUB_PUBLIC_URL must be an http or https URL/);
    expect(() => loadConfig({ HUB_PUBLIC_URL: 'https://example.com/?a=1' })).toThrow(/query or fragment/);
  });

  it('reads HUB_SMTP_URL (absent: e-mail off) and HUB_MAIL_FROM, and names a bad URL without echoing its password', () => {
    expect(loadConfig({}).smtpUrl).toBeNull();
    expect(loadConfig({}).mailFrom).toBe('CSP Billing Hub <billing-hub@localhost>');
    expect(loadConfig({ HUB_SMTP_URL: 'smtps://ops:secret@mail.example.com:465', HUB_MAIL_FROM: 'Billing <b@example.com>' })).toMatchObject({
      smtpUrl: 'smtps://ops:secret@mail.example.com:465',
      mailFrom: 'Billing <b@example.com>',
    });
    expect(() => loadConfig({ HUB_SMTP_URL: 'mail.example.com' })).toThrow(/HUB_SMTP_URL must be an absolute URL/);
    expect(() => loadConfig({ HUB_SMTP_URL: 'https://ops:secret@mail.example.com' })).toThrow(/^HUB_SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL, got "https:\/\/…"$/);
  });
});

describe('canonicalJson (what the audit chain hashes)', () => {
  it('is independent of key order, as jsonb is', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe('HUB_INVOICE_DELIVERY', () => {
  it('is auto unless set to manual, and names a bad value', () => {
    expect(loadConfig({}).invoiceDelivery).toBe('auto');
    expect(loadConfig({ HUB_INVOICE_DELIVERY: 'Manual' }).invoiceDelivery).toBe('manual');
    expect(() => loadConfig({ HUB_INVOICE_DELIVERY: 'never' })).toThrow(/HUB_INVOICE_DELIVERY must be auto or manual/);
  });
});
