import { createReadStream } from 'node:fs';
import { writeFile, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type HubConfig } from './config.ts';
import { createLogger, openRuntime, type Runtime } from './runtime.ts';
import { verifyAuditChain } from './db/audit.ts';
import { createApiKey } from './db/api-keys.ts';
import { isRole, ROLES, type Role } from './security/api-keys.ts';
import { renderOpenApi } from './server/openapi-document.ts';
import { generateTableTypes } from './db/generate-types.ts';
import { runDemo } from './demo.ts';
import { runHub } from './run-hub.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `hub — CSP Billing Hub

Usage: hub <command> [options]

  start                 API and worker in one process (what npm start runs)
  serve                 API only (run workers apart with 'hub worker')
  worker                worker only
  migrate               apply database migrations and exit
  demo                  start the hub with sample data and print where to look
  api-key create --role R [--role R…] --name N [--customer ID]
                        create an API key; it is printed once and stored hashed
                        roles: ${ROLES.join(', ')}
  api-key revoke --id ID
  api-key roles --id ID --role R [--role R…]
                        give a key other roles; a revoked or re-roled key stops
                        working on its next request, in every hub process
  audit verify          walk the audit hash chain; report the first broken link
  import partner-center FILE [--format csv|jsonl]
                        import a reconciliation file downloaded from the Partner
                        Center portal (daily rated usage or licences, CSV or JSON
                        lines); prints { importId, kind, accepted, duplicates,
                        rejected, errors }
  openapi [--check]     write openapi/openapi.json from the route schemas
  db-types [--check]    write src/db/types.ts from the migrated schema

Configuration comes from the environment; see README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'start':
      return runHub(config, { api: true, worker: true });
    case 'serve':
      return runHub(config, { api: true, worker: false });
    case 'worker':
      return runHub(config, { api: false, worker: true });
    case 'migrate':
      return withRuntime(config, async () => {
        console.log('migrations applied');
        return 0;
      });
    case 'demo':
      return runDemo(config);
    case 'api-key':
      return apiKeyCommand(config, rest);
    case 'audit':
      return auditCommand(config, rest);
    case 'import':
      return importCommand(config, rest);
    case 'openapi':
      return openApiCommand(rest);
    case 'db-types':
      return dbTypesCommand(config, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function withRuntime(config: HubConfig, fn: (runtime: Runtime) => Promise<number>): Promise<number> {
  const runtime = await openRuntime(config, { logger: createLogger({ ...config, logLevel: process.env.LOG_LEVEL ?? 'warn' }) });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

async function apiKeyCommand(config: HubConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { role: { type: 'string', multiple: true }, name: { type: 'string' }, customer: { type: 'string' }, id: { type: 'string' } },
  });
  const roles = values.role ?? [];
  const bad = roles.filter((r) => !isRole(r));
  const roleProblem = roles.length === 0 || bad.length > 0 ? `--role: ${roles.length === 0 ? 'at least one is required' : `unknown ${bad.join(', ')}`} (roles: ${ROLES.join(', ')})` : undefined;
  if (sub === 'create') {
    if (roleProblem) {
      console.error(roleProblem);
      return 2;
    }
    if (!values.name) {
      console.error('--name: is required (who or what will use the key)');
      return 2;
    }
    return withRuntime(config, async ({ ctx }) => {
      const created = await createApiKey(ctx.db, { name: values.name!, roles: roles as Role[], customerId: values.customer ?? null }, { actor: `cli:${userInfo().username}` });
      console.log(created.key);
      console.error(`created key ${created.id} (${roles.join(', ')}); it is shown only this once`);
      return 0;
    });
  }
  if (sub === 'revoke') {
    if (!values.id) {
      console.error('--id: is required');
      return 2;
    }
    return withRuntime(config, async ({ ctx }) => {
      const { revokeApiKey } = await import('./db/api-keys.ts');
      const done = await revokeApiKey(ctx.db, values.id!, { actor: `cli:${userInfo().username}` });
      console.log(done ? `revoked ${values.id}` : `no active key ${values.id}`);
      return done ? 0 : 1;
    });
  }
  if (sub === 'roles') {
    if (!values.id || roleProblem) {
      console.error(!values.id ? '--id: is required' : roleProblem);
      return 2;
    }
    return withRuntime(config, async ({ ctx }) => {
      const { setApiKeyRoles } = await import('./db/api-keys.ts');
      const done = await setApiKeyRoles(ctx.db, values.id!, roles as Role[], { actor: `cli:${userInfo().username}` });
      console.log(done ? `key ${values.id} now has roles ${roles.join(', ')}` : `no active key ${values.id}`);
      return done ? 0 : 1;
    });
  }
  console.error('usage: hub api-key create --role R --name N [--customer ID] | hub api-key revoke --id ID | hub api-key roles --id ID --role R');
  return 2;
}

async function auditCommand(config: HubConfig, args: string[]): Promise<number> {
  if (args[0] !== 'verify') {
    console.error('usage: hub audit verify');
    return 2;
  }
  return withRuntime(config, async ({ ctx }) => {
    const result = await verifyAuditChain(ctx.db);
    if (result.ok) {
      console.log(`audit chain intact: ${result.checked} entries verified`);
      return 0;
    }
    const b = result.firstBroken!;
    console.log(`audit chain BROKEN at entry seq=${b.seq} id=${b.id}: ${b.reason} (${result.checked} entries before it verified)`);
    return 1;
  });
}

async function importCommand(config: HubConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' } } });
  const [source, file] = positionals;
  const { formatFromFileName, importPartnerCenterFile, HeaderError } = await import('./db/ingest/partner-center-file.ts');
  const format = values.format ?? (file ? formatFromFileName(file) : undefined);
  if (source !== 'partner-center' || !file || positionals.length !== 2 || (format !== 'csv' && format !== 'jsonl')) {
    console.error('usage: hub import partner-center FILE [--format csv|jsonl]  (the format comes from .csv, .jsonl, .ndjson or .json otherwise)');
    return 2;
  }
  return withRuntime(config, async ({ ctx }) => {
    try {
      const result = await importPartnerCenterFile(ctx, { text: createReadStream(file), format, sourceName: basename(file), actor: { actor: `cli:${userInfo().username}` } });
      console.log(JSON.stringify(result, null, 2));
      return 0;
    } catch (err) {
      if (!(err instanceof HeaderError)) throw err;
      console.error(`header: ${err.message}`);
      return 1;
    }
  });
}

async function openApiCommand(args: string[]): Promise<number> {
  const file = join(ROOT, 'openapi', 'openapi.json');
  const text = await renderOpenApi();
  if (args.includes('--check')) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('openapi/openapi.json is stale: run npm run openapi');
      return 1;
    }
    console.log('openapi/openapi.json is up to date');
    return 0;
  }
  await writeFile(file, text);
  console.log(`wrote ${file}`);
  return 0;
}

async function dbTypesCommand(config: HubConfig, args: string[]): Promise<number> {
  const file = join(ROOT, 'src', 'db', 'types.ts');
  return withRuntime(config, async ({ database }) => {
    const text = await generateTableTypes(database.pool);
    if (args.includes('--check')) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== text) {
        console.error('src/db/types.ts is stale: run npm run db:types');
        return 1;
      }
      return 0;
    }
    await writeFile(file, text);
    console.log(`wrote ${file}`);
    return 0;
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
      process.exit(1);
    },
  );
}
