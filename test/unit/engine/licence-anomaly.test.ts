import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { licenceAnomalies, type LicenceSnapshot } from '../../../src/engine/licence-anomaly.ts';

// Hand-built daily licence snapshots (Graph subscribedSkus: prepaidUnits.enabled, consumedUnits);
// every expected figure is worked out in the comment beside it.

const DAY_MS = 86_400_000;
const day = '2026-11-30';

/** One snapshot a day from `from` to `to`, all alike. */
function daily(from: string, to: string, enabled: number, consumed: number): LicenceSnapshot[] {
  const out: LicenceSnapshot[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push({ date: new Date(t).toISOString().slice(0, 10), enabled, consumed });
  return out;
}

const e3 = { skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965', skuPartNumber: 'SPE_E3', day, price: { monthlyUnitPrice: new Decimal('36.00'), currency: 'USD' } };
const summary = (f: ReturnType<typeof licenceAnomalies>) => f.map((x) => [x.rule, x.severity, x.amountAtStake.toFixed(2), x.subject]);

describe('unassigned licences (more than 30 days)', () => {
  it('is silent after exactly 30 days and fires on the 31st, idle seats × monthly price', () => {
    // 1 Nov .. 30 Nov is 30 days: not more than 30.
    expect(licenceAnomalies({ ...e3, snapshots: daily('2026-11-01', day, 20, 15) })).toEqual([]);
    // 31 Oct .. 30 Nov is 31 days; 20 − 15 = 5 seats × 36.00 = 180.00.
    expect(summary(licenceAnomalies({ ...e3, snapshots: daily('2026-10-31', day, 20, 15) }))).toEqual([['unassigned_licences', 'warning', '180.00', `${e3.skuId}:2026-10-31`]]);
  });

  it('counts only the seats that stayed unassigned through the whole run', () => {
    // On 15 Nov 18 of 20 were assigned: only 2 seats were idle all along; 2 × 36.00 = 72.00.
    const snapshots = daily('2026-10-20', day, 20, 15).map((s) => (s.date === '2026-11-15' ? { ...s, consumed: 18 } : s));
    expect(summary(licenceAnomalies({ ...e3, snapshots }))).toEqual([['unassigned_licences', 'warning', '72.00', `${e3.skuId}:2026-10-20`]]);
  });

  it('restarts the run when every seat was assigned on a day', () => {
    // All 20 assigned on 1 Nov: the run starts on 2 Nov, 29 days, silent.
    const snapshots = daily('2026-10-01', day, 20, 15).map((s) => (s.date === '2026-11-01' ? { ...s, consumed: 20 } : s));
    expect(licenceAnomalies({ ...e3, snapshots })).toEqual([]);
  });

  it('tolerates up to three days without a snapshot, not four, and needs one on the day checked', () => {
    // 11..13 Nov missing (three days): still one run since 25 Oct.
    const gappy = daily('2026-10-25', day, 20, 15).filter((s) => !['2026-11-11', '2026-11-12', '2026-11-13'].includes(s.date));
    expect(summary(licenceAnomalies({ ...e3, snapshots: gappy }))).toEqual([['unassigned_licences', 'warning', '180.00', `${e3.skuId}:2026-10-25`]]);
    // 10..13 Nov missing (four days): the run starts on 14 Nov, 17 days, silent.
    expect(licenceAnomalies({ ...e3, snapshots: gappy.filter((s) => s.date !== '2026-11-10') })).toEqual([]);
    expect(licenceAnomalies({ ...e3, snapshots: daily('2026-10-01', '2026-11-29', 20, 15) })).toEqual([]);
  });

  it('rounds the money half-up once, and fires with zero at stake when the price is unknown', () => {
    // 3 seats × 10.005 = 30.015 → 30.02.
    const odd = { ...e3, price: { monthlyUnitPrice: new Decimal('10.005'), currency: 'USD' } };
    expect(summary(licenceAnomalies({ ...odd, snapshots: daily('2026-10-01', day, 10, 7) }))[0]?.[2]).toBe('30.02');
    const [unknown] = licenceAnomalies({ ...e3, price: null, snapshots: daily('2026-10-01', day, 10, 7) });
    expect(unknown?.amountAtStake.toFixed(2)).toBe('0.00');
    expect(unknown?.evidence.priceSource).toMatch(/unknown/);
  });
});

describe('utilisation under 10 % (7 days)', () => {
  const bb = { skuId: '3b555118-da6a-4418-894f-7df1e2096870', skuPartNumber: 'O365_BUSINESS_ESSENTIALS', day, price: { monthlyUnitPrice: new Decimal('6.00'), currency: 'USD' } };

  it('fires on the 7th day under 10 %, not the 6th; the idle seats at stake', () => {
    // 24 .. 30 Nov is 7 days at 9 of 100 (9 %): 91 idle × 6.00 = 546.00.
    expect(summary(licenceAnomalies({ ...bb, snapshots: daily('2026-11-24', day, 100, 9) }))).toEqual([['low_utilisation', 'critical', '546.00', `${bb.skuId}:2026-11-24`]]);
    expect(licenceAnomalies({ ...bb, snapshots: daily('2026-11-25', day, 100, 9) })).toEqual([]);
  });

  it('is silent at exactly 10 %', () => {
    expect(licenceAnomalies({ ...bb, snapshots: daily('2026-11-24', day, 100, 10) })).toEqual([]);
  });

  it('fires both rules when seats sat idle long enough', () => {
    // 1 of 20 in use since 1 Oct: 61 days (unassigned, warning) and 5 % (low utilisation); 19 × 6.00 = 114.00 each.
    expect(summary(licenceAnomalies({ ...bb, snapshots: daily('2026-10-01', day, 20, 1) }))).toEqual([
      ['unassigned_licences', 'warning', '114.00', `${bb.skuId}:2026-10-01`],
      ['low_utilisation', 'critical', '114.00', `${bb.skuId}:2026-10-01`],
    ]);
  });
});
