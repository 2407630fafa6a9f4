import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import { isIn } from '../../connectors/autotask/filter.ts';
import type { ContractRate, Project, Resource, Role, Task, Ticket, TimeEntry } from '../../connectors/autotask/types.ts';
import type { AutotaskReferences } from '../../mappings/autotask/time-entry.ts';

type Cache = { [K in keyof AutotaskReferences]: Map<string, AutotaskReferences[K] extends ReadonlyMap<string, infer V> ? V : never> } & {
  /** Contracts whose rates were read (a contract may have none). */
  ratesRead: Set<string>;
};

export const emptyReferences = (): Cache => ({ tickets: new Map(), tasks: new Map(), projects: new Map(), roles: new Map(), resources: new Map(), billingCodes: new Map(), contractRates: new Map(), ratesRead: new Set() });

/** The role rates of the contracts entries are logged against, once per contract. */
async function fillContractRates(client: AutotaskClient, contractIds: Iterable<unknown>, cache: Cache): Promise<void> {
  const missing = [...new Set([...contractIds].filter((id) => id !== null && id !== undefined && id !== '').map(String))].filter((id) => !cache.ratesRead.has(id));
  for (let i = 0; i < missing.length; i += 500) {
    const batch = missing.slice(i, i + 500);
    for (const rate of await client.all<ContractRate>('ContractRates', { filter: isIn('contractID', batch.map(Number)) })) cache.contractRates.set(`${rate.contractID}|${rate.roleID}`, rate);
    for (const id of batch) cache.ratesRead.add(id);
  }
}

/** Reads, by id, the records of `entity` not yet in the cache (one `in` query per 500 ids). */
async function fill<T extends { id: number | string }>(client: AutotaskClient, entity: string, ids: Iterable<unknown>, cache: Map<string, T>): Promise<void> {
  const missing = [...new Set([...ids].filter((id) => id !== null && id !== undefined && id !== '').map(String))].filter((id) => !cache.has(id));
  for (let i = 0; i < missing.length; i += 500) {
    const batch = missing.slice(i, i + 500);
    for (const record of await client.all<T>(entity, { filter: isIn('id', batch.map(Number)) })) cache.set(String(record.id), record);
  }
}

/**
 * The tickets, tasks, their projects, roles, resources, billing codes and contract
 * rates a page of entries points at, kept across the pages of one sync: an entry carries only ids.
 */
export async function loadReferences(client: AutotaskClient, entries: readonly TimeEntry[], cache: Cache): Promise<AutotaskReferences> {
  await Promise.all([
    fill<Ticket>(client, 'Tickets', entries.map((e) => e.ticketID), cache.tickets),
    fill<Task>(client, 'Tasks', entries.map((e) => e.taskID), cache.tasks),
    fill<Role>(client, 'Roles', entries.map((e) => e.roleID), cache.roles),
    fill<Resource>(client, 'Resources', entries.map((e) => e.resourceID), cache.resources),
    fill<{ id: number | string; name: string }>(client, 'BillingCodes', entries.map((e) => e.billingCodeID), cache.billingCodes),
    fillContractRates(client, entries.map((e) => e.contractID), cache),
  ]);
  const projectIds: unknown[] = [...[...cache.tasks.values()].map((t) => t.projectID), ...[...cache.tickets.values()].map((t) => t.projectID)];
  await fill<Project>(client, 'Projects', projectIds, cache.projects);
  return cache;
}
