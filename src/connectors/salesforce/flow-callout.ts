/** What a Flow HTTP callout sends the hub: which org, which opportunity, and an id to de-duplicate on. */
export interface FlowCallout {
  organizationId: string;
  opportunityId: string;
  /** Optional: an id unique per callout (e.g. the Flow interview's GUID); else the body's digest de-duplicates. */
  notificationId: string | null;
}

const SF_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * Reads a Flow callout's JSON body, or returns why it is malformed.
 *
 * @example parseFlowCallout(Buffer.from('{"organizationId":"00D5g0000000001AAA","opportunityId":"0065g0000000001AAA"}'))
 */
export function parseFlowCallout(rawBody: Buffer): FlowCallout | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'body must be a JSON object';
  const body = parsed as Record<string, unknown>;
  for (const field of ['organizationId', 'opportunityId'] as const) {
    if (typeof body[field] !== 'string' || !SF_ID.test(body[field])) return `${field} must be a 15- or 18-character Salesforce id`;
  }
  const notificationId = body.notificationId;
  if (notificationId !== undefined && notificationId !== null && (typeof notificationId !== 'string' || notificationId === '' || notificationId.length > 255)) {
    return 'notificationId must be a non-empty string of at most 255 characters';
  }
  return { organizationId: body.organizationId as string, opportunityId: body.opportunityId as string, notificationId: (notificationId as string | undefined) ?? null };
}
