import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBinary } from '../../src/db/ingest/copy.ts';
import { BINARY_HEADER, BINARY_TRAILER, binaryField, type BinaryType } from '../../src/db/ingest/copy-binary.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

// Binary COPY skips the server's input functions: each value must be stored exactly as
// the text format (the input function) would have stored it, scale and all.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 2 });
});
afterAll(() => database.drop());

/** Each text COPYed in binary into a column of `type`, read back next to the same text cast by the server. */
async function roundTrip(type: BinaryType, texts: string[]): Promise<{ binary: string; cast: string }[]> {
  const client = await database.pool.connect();
  try {
    await client.query(`create temp table if not exists copied_${type} (n int, v ${type})`);
    await client.query(`truncate copied_${type}`);
    const rows = texts.map((text, n) => Buffer.concat([Buffer.from([0, 2]), int4(n), binaryField(type, text)]));
    await copyBinary(client, `copied_${type}`, ['n', 'v'], [Buffer.concat([BINARY_HEADER, ...rows, BINARY_TRAILER])]);
    const { rows: back } = await client.query<{ binary: string; cast: string }>(
      `select c.v::text as binary, (t.text::${type})::text as cast from copied_${type} c join unnest($1::text[]) with ordinality t(text, n) on t.n = c.n + 1 order by c.n`,
      [texts],
    );
    return back;
  } finally {
    client.release();
  }
}

function int4(n: number): Buffer {
  const field = Buffer.alloc(8);
  field.writeInt32BE(4, 0);
  field.writeInt32BE(n, 4);
  return field;
}

describe('COPY binary fields', () => {
  it('stores decimals as the numeric input function does, scale included', async () => {
    const texts = [
      '0', '-0', '0.00', '-0.000', '24', '1.53', '0.075', '0.06375', '0.0333333333', '19.71', '100000', '1e5', '1.5e-3', '1E+2', '-12.3400',
      '.5', '5.', '-.25', '0.737586206896551724', '123456789012345678901234567890.123456789', '0.0001', '0.00001', '10000', '9999.9999',
      '1e-5', '2.5e-7', '1234.5e2', '00012.3400', '+7.5', '1e0', '0e10', '-1e-20',
    ];
    for (const { binary, cast } of await roundTrip('numeric', texts)) expect(binary).toBe(cast);
  });

  it('stores instants and days as the date and timestamptz input functions do', async () => {
    const instants = ['2026-09-01T00:00:00.000Z', '2026-09-30T23:59:59.999Z', '1999-12-31T23:59:59.000Z', '2000-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '2024-02-29T12:34:56.789Z'];
    for (const { binary, cast } of await roundTrip('timestamptz', instants)) expect(binary).toBe(cast);
    for (const { binary, cast } of await roundTrip('date', [...instants, '2026-09-01', '0099-03-01', '1900-02-28'])) expect(binary).toBe(cast);
  });

  it('stores text, jsonb and uuids byte for byte', async () => {
    const texts = ['Zürich AG', 'tab\there', 'line\nbreak', 'back\\slash', '', '"quoted"', '日本語'];
    for (const { binary, cast } of await roundTrip('text', texts)) expect(binary).toBe(cast);
    for (const { binary, cast } of await roundTrip('jsonb', ['{}', '{"costCenter":"CC-1","project":"zephyr"}', '{"b":1,"a":[1,2]}'])) expect(binary).toBe(cast);
    for (const { binary, cast } of await roundTrip('uuid', ['0b7e8d2a-1c3f-4e5a-9b6d-7f8e9a0b1c2d', 'AB7E8D2A-1C3F-4E5A-9B6D-7F8E9A0B1C2D'])) expect(binary).toBe(cast);
  });

  it('refuses what the input functions refuse', () => {
    for (const text of ['', '-', '.', 'abc', '1,5', 'NaN', '1e']) expect(() => binaryField('numeric', text)).toThrow();
    for (const text of ['0000-01-01', '2026-02-30', '2026-13-01', 'yesterday']) expect(() => binaryField('date', text)).toThrow();
    for (const text of ['0000-01-01T00:00:00.000Z', '2026-09-01T24:00:00.000Z', '2026-09-01 00:00']) expect(() => binaryField('timestamptz', text)).toThrow();
    expect(() => binaryField('uuid', 'not-a-uuid')).toThrow();
  });
});
