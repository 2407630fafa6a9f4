import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwtAssertion } from '../../../src/connectors/salesforce/auth.ts';
import { salesforceDeclaration } from '../../../src/connectors/salesforce/declaration.ts';
import { parseFlowCallout } from '../../../src/connectors/salesforce/flow-callout.ts';
import { parseOutboundMessage, sameOrg } from '../../../src/connectors/salesforce/outbound-message.ts';
import { salesforceFacts } from '../../helpers/salesforce-vendor.ts';

const om = salesforceFacts.outboundMessage;

describe('Salesforce Outbound Messages', () => {
  it("answers with exactly the Ack body Salesforce's documentation gives", () => {
    expect(salesforceDeclaration.outboundMessages.ack).toBe(om.ack);
  });

  it("reads the documentation's example: org, action, and each notification's id and fields (xsi:nil kept apart from text)", () => {
    expect(parseOutboundMessage(om.example)).toEqual({
      organizationId: '00D000000000062EAA',
      actionId: '04k000000000001AAA',
      notifications: [{ id: '04l000000000001AAA', objectType: 'Opportunity', fields: { Id: '006000000000001AAA', StageName: 'Closed Won' } }],
    });
  });

  it('reads any namespace prefix, entities and several notifications; keeps ids and numbers as text', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><e:Body><o:notifications xmlns:o="${om.namespace}" xmlns="${om.namespace}"><o:OrganizationId>00D000000000062</o:OrganizationId><o:ActionId>04k000000000001</o:ActionId><o:Notification><o:Id>04l1</o:Id><o:sObject i:type="x:Opportunity" xmlns:x="urn:sobject.enterprise.soap.sforce.com"><x:Id>0060000000000010</x:Id><x:Name>Smith &amp; Sons</x:Name><x:Amount>1200.50</x:Amount><x:Description i:nil="true"/></o:sObject></o:Notification><o:Notification><o:Id>04l2</o:Id><o:sObject i:type="x:Account" xmlns:x="urn:sobject.enterprise.soap.sforce.com"><x:Id>001000000000001</x:Id></o:sObject></o:Notification></o:notifications></e:Body></e:Envelope>`;
    const message = parseOutboundMessage(xml);
    expect(message).toMatchObject({
      organizationId: '00D000000000062',
      notifications: [
        { id: '04l1', objectType: 'Opportunity', fields: { Id: '0060000000000010', Name: 'Smith & Sons', Amount: '1200.50', Description: null } },
        { id: '04l2', objectType: 'Account', fields: { Id: '001000000000001' } },
      ],
    });
  });

  it('names what is wrong with a body that is not an Outbound Message', () => {
    expect(parseOutboundMessage('<a><b></a>')).toMatch(/^body is not well-formed XML/);
    expect(parseOutboundMessage('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toBe('body carries a DTD, which SOAP messages may not');
    expect(parseOutboundMessage('<Envelope><Body><other/></Body></Envelope>')).toBe('body is not a SOAP Envelope with a notifications element');
    expect(parseOutboundMessage(om.example.replace(om.namespace, 'urn:other'))).toBe(`notifications must be in the namespace ${om.namespace}`);
    expect(parseOutboundMessage(om.example.replace(/<Notification>.*<\/Notification>/, ''))).toBe('notifications carries no Notification');
    expect(parseOutboundMessage(om.example.replace('<Id>04l000000000001AAA</Id>', ''))).toBe('Notification[0].Id is missing');
  });

  it('compares org ids on their 15-character form', () => {
    expect(sameOrg('00D000000000062EAA', '00D000000000062')).toBe(true);
    expect(sameOrg('00D000000000062EAA', '00d000000000062EAA')).toBe(false);
  });
});

describe('Salesforce Flow callouts', () => {
  it('reads organizationId, opportunityId and an optional notificationId, naming the field at fault', () => {
    expect(parseFlowCallout(Buffer.from('{"organizationId":"00D000000000062EAA","opportunityId":"006000000000001"}'))).toEqual({
      organizationId: '00D000000000062EAA',
      opportunityId: '006000000000001',
      notificationId: null,
    });
    expect(parseFlowCallout(Buffer.from('{"organizationId":"00D000000000062EAA","opportunityId":"006"}'))).toBe('opportunityId must be a 15- or 18-character Salesforce id');
    expect(parseFlowCallout(Buffer.from('[1]'))).toBe('body must be a JSON object');
    expect(parseFlowCallout(Buffer.from('{'))).toBe('body is not JSON');
  });
});

describe('Salesforce JWT bearer assertion', () => {
  it('is RS256 over the documented claims, verifiable with the certificate key, expiring within 3 minutes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const jwt = jwtAssertion({ clientId: '3MVG9key', username: 'int@msp.example', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'https://login.salesforce.com', now);
    const [head, claims, signature] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(head, 'base64url').toString()).alg).toBe(salesforceFacts.oauth.jwtAlgorithm);
    const body = JSON.parse(Buffer.from(claims, 'base64url').toString());
    expect(Object.keys(body).sort()).toEqual([...salesforceFacts.oauth.jwtClaims].sort());
    expect(body).toEqual({ iss: '3MVG9key', sub: 'int@msp.example', aud: 'https://login.salesforce.com', exp: now / 1000 + salesforceFacts.oauth.jwtMaxLifetimeSeconds });
    expect(createVerify('RSA-SHA256').update(`${head}.${claims}`).verify(publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });
});
