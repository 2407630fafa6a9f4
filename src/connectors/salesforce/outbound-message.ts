import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { salesforceDeclaration } from './declaration.ts';

/** One notification of an Outbound Message: its id and the record's fields as sent. */
export interface OutboundNotification {
  id: string;
  /** The sObject's type (xsi:type sf:Opportunity → Opportunity). */
  objectType: string;
  /** The fields the action sends, as text (Salesforce sends every value as XML text). */
  fields: Record<string, string | null>;
}

export interface OutboundMessage {
  organizationId: string;
  actionId: string;
  notifications: OutboundNotification[];
}

// fast-xml-parser (pure JS, maintained, no native build) rather than a hand-rolled reader:
// the envelope's namespace prefixes are the sender's choice, values may carry entities and
// CDATA, and xsi:nil must be told from an empty string. Tag values stay text (no number
// guessing: ids like 00D… and amounts must not be reinterpreted).
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, jpath) => jpath === 'Envelope.Body.notifications.Notification',
});

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A leaf's text: a plain string, `#text` beside attributes, or null for xsi:nil="true". */
function textOf(value: unknown): string | null | undefined {
  if (typeof value === 'string') return value;
  if (isNode(value)) {
    if (value['@nil'] === 'true') return null;
    if (typeof value['#text'] === 'string') return value['#text'];
    if (Object.keys(value).every((k) => k.startsWith('@'))) return '';
  }
  return undefined;
}

/**
 * Reads a SOAP `notifications` message (the Outbound Messaging WSDL), or returns why it
 * is not one. DTDs are refused outright: SOAP forbids them, and refusing them keeps entity
 * expansion out of the parser.
 *
 * @example parseOutboundMessage('<soapenv:Envelope …><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>00D…</OrganizationId>…')
 */
export function parseOutboundMessage(xml: string): OutboundMessage | string {
  if (/<!DOCTYPE/i.test(xml)) return 'body carries a DTD, which SOAP messages may not';
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return `body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`;
  const doc = parser.parse(xml) as Node;
  const body = isNode(doc.Envelope) && isNode(doc.Envelope.Body) ? doc.Envelope.Body : undefined;
  const message = body && isNode(body.notifications) ? body.notifications : undefined;
  if (!message) return 'body is not a SOAP Envelope with a notifications element';
  // The parser drops namespace declarations with the prefixes; the document must still declare Salesforce's.
  if (!xml.includes(`"${salesforceDeclaration.outboundMessages.namespace}"`)) return `notifications must be in the namespace ${salesforceDeclaration.outboundMessages.namespace}`;
  const organizationId = textOf(message.OrganizationId);
  if (!organizationId) return 'notifications.OrganizationId is missing';
  const items = (message.Notification as unknown[] | undefined) ?? [];
  if (items.length === 0) return 'notifications carries no Notification';
  if (items.length > salesforceDeclaration.outboundMessages.maxNotifications) return `notifications carries ${items.length} Notification elements, more than Salesforce sends (${salesforceDeclaration.outboundMessages.maxNotifications})`;
  const notifications: OutboundNotification[] = [];
  for (const [i, item] of items.entries()) {
    const id = isNode(item) ? textOf(item.Id) : undefined;
    if (!id) return `Notification[${i}].Id is missing`;
    const sObject = isNode(item) ? item.sObject : undefined;
    if (!isNode(sObject)) return `Notification[${i}].sObject is missing`;
    const type = String(sObject['@type'] ?? '').replace(/^.*:/, '');
    const fields: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(sObject)) {
      if (name.startsWith('@')) continue;
      const text = textOf(value);
      if (text !== undefined) fields[name] = text;
    }
    if (!fields.Id) return `Notification[${i}].sObject.Id is missing`;
    notifications.push({ id, objectType: type, fields });
  }
  return { organizationId, actionId: textOf(message.ActionId) ?? '', notifications };
}

/** Same org: Salesforce ids compare on their case-sensitive 15-character form. */
export function sameOrg(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15) && a.length >= 15 && b.length >= 15;
}
