import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import { and, eq, gte, isIn, lte } from '../../connectors/autotask/filter.ts';
import type { Contract, ContractService, ContractServiceUnit } from '../../connectors/autotask/types.ts';
import { Decimal } from '../../engine/decimal.ts';
import type { PsaSeatLine } from '../../engine/seat-reconcile.ts';

/** Autotask's contract type and status for an active Recurring Service contract. */
const RECURRING_SERVICE = 7;
const ACTIVE = 1;

/** A company's active Recurring Service contracts, oldest id first. */
export async function activeContracts(client: AutotaskClient, companyId: string): Promise<Contract[]> {
  return client.all<Contract>('Contracts', { filter: and(eq('companyID', Number(companyId)), eq('status', ACTIVE), eq('contractType', RECURRING_SERVICE)) });
}

/** Units per contract service on `day`, from ContractServiceUnits (one row per period, split at each adjustment). */
export async function unitsOn(client: AutotaskClient, filter: { contractIDs: readonly number[]; serviceID?: number }, day: string): Promise<Map<string, number>> {
  const at = new Date(`${day}T00:00:00Z`);
  const conditions = [isIn('contractID', filter.contractIDs), lte('startDate', at), gte('endDate', at)];
  if (filter.serviceID !== undefined) conditions.push(eq('serviceID', filter.serviceID));
  const units = new Map<string, number>();
  for (const row of await client.all<ContractServiceUnit>('ContractServiceUnits', { filter: and(...conditions) })) {
    units.set(String(row.contractServiceID), (units.get(String(row.contractServiceID)) ?? 0) + Number(row.units));
  }
  return units;
}

/**
 * The company's billed seat lines: each service of its active Recurring Service
 * contracts with the units it bills today (ContractServices carry no quantity) and its
 * price (the adjusted price when one is set).
 */
export async function psaSeatLines(client: AutotaskClient, companyId: string, today: string): Promise<{ lines: PsaSeatLine[]; contractIds: number[] }> {
  const contracts = await activeContracts(client, companyId);
  const contractIds = contracts.map((c) => Number(c.id));
  if (contractIds.length === 0) return { lines: [], contractIds };
  const services = await client.all<ContractService>('ContractServices', { filter: isIn('contractID', contractIds) });
  const units = await unitsOn(client, { contractIDs: contractIds }, today);
  const price = (s: ContractService) => s.adjustedPrice ?? s.unitPrice;
  const lines = services.map((s) => ({
    agreementId: String(s.contractID),
    lineId: String(s.id),
    product: String(s.serviceID),
    quantity: units.get(String(s.id)) ?? 0,
    unitPrice: price(s) === null || price(s) === undefined ? null : new Decimal(price(s)!),
  }));
  return { lines: lines.filter((l) => l.quantity > 0), contractIds };
}
