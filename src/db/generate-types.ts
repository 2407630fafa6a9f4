import type pg from 'pg';

// Kysely table types are generated from the migrated schema (never written by hand),
// and a test regenerates them to prove src/db/types.ts matches the migrations.

interface ColumnInfo {
  table_name: string;
  column_name: string;
  udt_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  is_identity: 'YES' | 'NO';
}

const SKIP_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

function baseType(udt: string): { select: string; insert?: string } {
  switch (udt) {
    case 'uuid':
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'citext':
      return { select: 'string' };
    case 'numeric':
      // pg returns numeric as a string; the data layer turns it into Decimal.
      return { select: 'string', insert: 'string' };
    case 'int2':
    case 'int4':
    case 'int8':
    case 'float4':
    case 'float8':
      return { select: 'number' };
    case 'bool':
      return { select: 'boolean' };
    case 'date':
      return { select: 'string' };
    case 'timestamptz':
    case 'timestamp':
      return { select: 'Date', insert: 'Date | string' };
    case 'json':
    case 'jsonb':
      // Inserted as JSON text: node-postgres would turn a JS array into a PG array literal.
      return { select: 'JsonValue', insert: 'string' };
    case 'bytea':
      return { select: 'Buffer' };
    default:
      if (udt.startsWith('_')) {
        const inner = baseType(udt.slice(1));
        return { select: `${inner.select}[]` };
      }
      return { select: 'unknown' };
  }
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());
}

export async function generateTableTypes(client: pg.ClientBase | pg.Pool): Promise<string> {
  const { rows } = await client.query<ColumnInfo>(`
    select c.table_name, c.column_name, c.udt_name, c.data_type, c.is_nullable, c.column_default, c.is_identity
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      and not exists (select 1 from pg_inherits i join pg_class k on k.oid = i.inhrelid where k.relname = c.table_name)
    order by c.table_name, c.ordinal_position`);
  const tables = new Map<string, ColumnInfo[]>();
  for (const row of rows) {
    if (SKIP_TABLES.has(row.table_name)) continue;
    const list = tables.get(row.table_name) ?? [];
    list.push(row);
    tables.set(row.table_name, list);
  }
  const out: string[] = [
    '// Generated from the migrated schema by `npm run db:types`. Do not edit by hand.',
    "import type { ColumnType, Generated } from 'kysely';",
    '',
    'export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };',
    '',
  ];
  const names = [...tables.keys()].sort();
  for (const table of names) {
    out.push(`export interface ${pascal(table)}Table {`);
    for (const col of tables.get(table)!) {
      const { select, insert } = baseType(col.udt_name);
      const nullable = col.is_nullable === 'YES';
      const sel = nullable ? `${select} | null` : select;
      const ins = insert ? (nullable ? `${insert} | null` : insert) : sel;
      const hasDefault = col.column_default !== null || col.is_identity === 'YES';
      let type: string;
      if (insert) type = `ColumnType<${sel}, ${ins}${hasDefault ? ' | undefined' : ''}, ${ins}>`;
      else type = hasDefault ? `Generated<${sel}>` : sel;
      out.push(`  ${col.column_name}: ${type};`);
    }
    out.push('}', '');
  }
  out.push('export interface Database {');
  for (const table of names) out.push(`  ${table}: ${pascal(table)}Table;`);
  out.push('}', '');
  return out.join('\n');
}
