import { Decimal } from 'decimal.js';
import { COMPANIES, DEALS, OPEN_STAGE, REOPENED_STAGE, TENANT_ID_PROPERTY, WON_STAGE } from './catalog.ts';

export type ObjectType = 'deals' | 'line_items' | 'companies';

interface StoredObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}

/** An association as the v4 API lists it. */
export interface AssociationOut {
  toObjectId: number;
  associationTypes: { category: 'HUBSPOT_DEFINED'; typeId: number; label: string | null }[];
}

/** Properties every object returns whether asked for or not. */
const ALWAYS = ['hs_object_id', 'createdate', 'hs_lastmodifieddate'];

/** HubSpot's net line amount: quantity × (price − discount per unit) × (1 − discount %). */
function lineAmount(p: Record<string, string | null>): string {
  const unit = new Decimal(p.price ?? '0').minus(p.discount ?? '0');
  const share = new Decimal(100).minus(p.hs_discount_percentage ?? '0').div(100);
  return unit.times(p.quantity ?? '0').times(share).toFixed(2);
}

/** The mutable state of the sandbox's HubSpot account, built from the catalog. */
export class HubSpotAccount {
  readonly #objects: Record<ObjectType, Map<string, StoredObject>> = { deals: new Map(), line_items: new Map(), companies: new Map() };
  readonly #dealLines = new Map<string, string[]>();
  readonly #dealCompany = new Map<string, string>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
    const created = '2026-11-02T09:00:00.000Z';
    for (const c of COMPANIES) {
      this.#put('companies', c.id, { name: c.name, domain: c.domain, [TENANT_ID_PROPERTY]: c.tenantId ?? null, ...c.billing }, created);
    }
    for (const deal of DEALS) {
      for (const line of deal.lineItems) {
        const { id, ...properties } = line;
        this.#put('line_items', id, { hs_discount_percentage: null, discount: null, hs_product_id: null, ...properties }, created);
        this.#objects.line_items.get(id)!.properties.amount = lineAmount(this.#objects.line_items.get(id)!.properties);
      }
      this.#dealLines.set(deal.id, deal.lineItems.map((l) => l.id));
      this.#dealCompany.set(deal.id, deal.companyId);
      this.#put(
        'deals',
        deal.id,
        { dealname: deal.dealname, dealstage: OPEN_STAGE, pipeline: 'default', closedate: null, deal_currency_code: deal.currency, hs_is_closed_won: 'false', hs_is_closed: 'false', amount: null },
        created,
      );
      this.#refreshDealAmount(deal.id);
    }
  }

  #put(type: ObjectType, id: string, properties: Record<string, string | null>, at: string): void {
    this.#objects[type].set(id, { id, properties: { ...properties, hs_object_id: id, createdate: at, hs_lastmodifieddate: at }, createdAt: at, updatedAt: at });
  }

  #touch(object: StoredObject): void {
    const at = this.#now().toISOString();
    object.updatedAt = at;
    object.properties.hs_lastmodifieddate = at;
  }

  #refreshDealAmount(dealId: string): void {
    const total = (this.#dealLines.get(dealId) ?? []).reduce((sum, id) => sum.plus(this.#objects.line_items.get(id)!.properties.amount ?? '0'), new Decimal(0));
    this.#objects.deals.get(dealId)!.properties.amount = total.toFixed(2);
  }

  /** The object as the v3 API returns it: the asked-for properties (null when unset) plus the standard ones. */
  read(type: ObjectType, id: string, properties: readonly string[]) {
    const object = this.#objects[type].get(id);
    if (!object) return undefined;
    const names = properties.length > 0 ? [...new Set([...properties, ...ALWAYS])] : Object.keys(object.properties);
    return {
      id: object.id,
      properties: Object.fromEntries(names.map((name) => [name, object.properties[name] ?? null])),
      createdAt: object.createdAt,
      updatedAt: object.updatedAt,
      archived: false,
    };
  }

  /** v4 associations of a deal: its line items (type 19) or its company (5 primary and 341 unlabeled). */
  associations(fromType: string, id: string, toType: string): AssociationOut[] | undefined {
    if (fromType !== 'deals' || !this.#objects.deals.has(id)) return undefined;
    if (toType === 'line_items') {
      return (this.#dealLines.get(id) ?? []).map((lineId) => ({ toObjectId: Number(lineId), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 19, label: null }] }));
    }
    if (toType === 'companies') {
      const company = this.#dealCompany.get(id);
      return company
        ? [{ toObjectId: Number(company), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' }, { category: 'HUBSPOT_DEFINED', typeId: 341, label: null }] }]
        : [];
    }
    return [];
  }

  /** PATCH: sets properties (line amounts and the deal total follow, as HubSpot calculates them). */
  update(type: ObjectType, id: string, properties: Record<string, string>) {
    const object = this.#objects[type].get(id);
    if (!object) return undefined;
    Object.assign(object.properties, properties);
    if (type === 'line_items') {
      object.properties.amount = lineAmount(object.properties);
      for (const [dealId, lines] of this.#dealLines) if (lines.includes(id)) this.#refreshDealAmount(dealId);
    }
    this.#touch(object);
    return this.read(type, id, []);
  }

  /** Moves a deal to the won stage: HubSpot sets the close date and hs_is_closed_won. */
  win(dealId: string) {
    return this.#stage(dealId, WON_STAGE, { closedate: this.#now().toISOString(), hs_is_closed_won: 'true', hs_is_closed: 'true' });
  }

  /** Moves a won deal back to an open stage. */
  reopen(dealId: string) {
    return this.#stage(dealId, REOPENED_STAGE, { hs_is_closed_won: 'false', hs_is_closed: 'false' });
  }

  #stage(dealId: string, stage: string, extra: Record<string, string>) {
    const deal = this.#objects.deals.get(dealId);
    if (!deal) return undefined;
    Object.assign(deal.properties, { dealstage: stage, ...extra });
    this.#touch(deal);
    return this.read('deals', dealId, []);
  }
}
