import { hubspotDeclaration } from './declaration.ts';

/** One event of a HubSpot webhook batch (the fields the hub relies on; the rest is kept as sent). */
export interface HubSpotEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  occurredAt: number;
  subscriptionType: string;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
  [field: string]: unknown;
}

const REQUIRED_IDS = ['eventId', 'subscriptionId', 'portalId', 'occurredAt', 'objectId'] as const;

/**
 * Reads a batch body: a JSON array of events. One docs example names the type `eventType`
 * instead of `subscriptionType`; both are accepted. Returns the reason when malformed.
 */
export function parseEventBatch(rawBody: Buffer): HubSpotEvent[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (!Array.isArray(parsed)) return 'body must be a JSON array of events';
  if (parsed.length === 0) return 'body carries no event';
  const events: HubSpotEvent[] = [];
  for (const [i, item] of parsed.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return `body[${i}] is not an object`;
    const event = item as Record<string, unknown>;
    for (const field of REQUIRED_IDS) {
      if (!Number.isSafeInteger(event[field])) return `body[${i}].${field} must be an integer`;
    }
    const type = event.subscriptionType ?? event.eventType;
    if (typeof type !== 'string' || type === '') return `body[${i}].subscriptionType must be a string`;
    events.push({ ...event, subscriptionType: type } as HubSpotEvent);
  }
  return events;
}

/**
 * The identity the inbox de-duplicates an event on. HubSpot documents that `eventId` alone
 * is not guaranteed unique, so all four of portal, subscription, event id and time count.
 *
 * @example eventKey({ portalId: 62515, subscriptionId: 2001, eventId: 100, occurredAt: 1767225600000, … }) // '62515:2001:100:1767225600000'
 */
export function eventKey(event: HubSpotEvent): string {
  return hubspotDeclaration.webhooks.eventKeyFields.map((field) => String(event[field])).join(':');
}

/** A deal event that may mean the deal was won: the job re-reads the deal to decide. */
export function isDealStageEvent(event: HubSpotEvent): boolean {
  const { propertyChange, creation, property } = hubspotDeclaration.webhooks.dealTriggers;
  return event.subscriptionType === creation || (event.subscriptionType === propertyChange && event.propertyName === property);
}
