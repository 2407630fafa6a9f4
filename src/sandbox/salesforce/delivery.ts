import { createHmac } from 'node:crypto';
import type { SalesforceSandboxContext } from './context.ts';
import type { SRecord } from './org.ts';
import { sfId } from './ids.ts';

// How Salesforce tells an external service about a changed record, written for the
// sandbox on its own (template text, not the hub's parser or constants), so a mistake in
// the hub cannot cancel out against the same mistake here.

/** The Outbound Message action a record-triggered Flow fires when IsWon turns true. */
export const ACTION_ID = sfId('04k', 1);
/** The fields the action sends: one object's chosen fields, never its line items. */
export const SENT_FIELDS = ['Id', 'AccountId', 'StageName', 'IsWon', 'CloseDate'] as const;

export interface DeliveryResult {
  attempt: number;
  status: number;
  contentType: string | null;
  body: string;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A SOAP `notifications` message carrying one notification per record, as Salesforce posts it. */
export function outboundMessage(ctx: SalesforceSandboxContext, notifications: { id: string; record: SRecord }[], organizationId = ctx.credentials.organizationId): string {
  const base = ctx.url();
  const items = notifications
    .map(({ id, record }) => {
      const fields = SENT_FIELDS.filter((f) => record[f] !== null && record[f] !== undefined)
        .map((f) => `<sf:${f}>${escapeXml(String(record[f]))}</sf:${f}>`)
        .join('');
      return `<Notification><Id>${id}</Id><sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${organizationId}</OrganizationId><ActionId>${ACTION_ID}</ActionId><SessionId xsi:nil="true"/>` +
    `<EnterpriseUrl>${base}/services/Soap/c/66.0/${organizationId.slice(0, 15)}</EnterpriseUrl><PartnerUrl>${base}/services/Soap/u/66.0/${organizationId.slice(0, 15)}</PartnerUrl>` +
    items +
    '</notifications></soapenv:Body></soapenv:Envelope>'
  );
}

/** A Flow HTTP callout's JSON body, and its HMAC-SHA256 hex signature with the shared secret. */
export function flowCallout(ctx: SalesforceSandboxContext, notificationId: string, record: SRecord): { body: string; signature: string } {
  const body = JSON.stringify({ organizationId: ctx.credentials.organizationId, opportunityId: record.Id, notificationId, stageName: record.StageName, isWon: record.IsWon });
  return { body, signature: createHmac('sha256', ctx.credentials.flowSecret).update(body).digest('hex') };
}

/**
 * POSTs the message to the hub, and again `redeliveries` times as Salesforce retries one it
 * did not see acknowledged: the same notification ids each time.
 */
export async function deliver(
  ctx: SalesforceSandboxContext,
  targetUrl: string,
  record: SRecord,
  options: { via?: 'outbound-message' | 'flow'; redeliveries?: number } = {},
): Promise<DeliveryResult[]> {
  const notificationId = ctx.nextNotificationId();
  const results: DeliveryResult[] = [];
  for (let attempt = 0; attempt <= (options.redeliveries ?? 0); attempt++) {
    let init: RequestInit;
    if (options.via === 'flow') {
      const { body, signature } = flowCallout(ctx, notificationId, record);
      init = { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-salesforce-signature': signature }, body };
    } else {
      init = { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: outboundMessage(ctx, [{ id: notificationId, record }]) };
    }
    const response = await fetch(targetUrl, init);
    ctx.stats.deliveries++;
    results.push({ attempt, status: response.status, contentType: response.headers.get('content-type'), body: await response.text() });
  }
  return results;
}
