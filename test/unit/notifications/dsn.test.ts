import { describe, expect, it } from 'vitest';
import { bounceReason, smtpCodeOf } from '../../../src/notifications/bounce-listener.ts';
import { parseDeliveryStatusReport } from '../../../src/notifications/dsn.ts';

// Shaped on RFC 3464 §6.2 (a report on two recipients: one delayed, one failed), with
// folded header lines and a returned message/rfc822 original.
const REPORT = [
  'Content-Type: multipart/report;',
  ' report-type="delivery-status"; boundary="XX-boundary"',
  'MIME-Version: 1.0',
  '',
  '--XX-boundary',
  'Content-Type: text/plain',
  '',
  'Delivery to two recipients had problems.',
  '--XX-boundary',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; cs.utk.example',
  '',
  'Final-Recipient: rfc822; louisl@larry.slip.example',
  'Action: delayed',
  'Status: 4.0.0',
  '',
  'Final-Recipient: rfc822;',
  '  pete@example.org',
  'Action: Failed',
  'Status: 5.0.0 (permanent failure)',
  'Diagnostic-Code: smtp; 550 user unknown',
  '',
  '--XX-boundary',
  'Content-Type: message/rfc822',
  '',
  'Message-ID: <inv-42@billing.example>',
  'Subject: Invoice',
  '',
  'Body of the original.',
  '--XX-boundary--',
  '',
].join('\r\n');

describe('parseDeliveryStatusReport', () => {
  it('reads each recipient block and the Message-ID of the returned original', () => {
    expect(parseDeliveryStatusReport(REPORT)).toEqual({
      recipients: [
        { finalRecipient: 'louisl@larry.slip.example', action: 'delayed', status: '4.0.0', diagnosticCode: null },
        { finalRecipient: 'pete@example.org', action: 'failed', status: '5.0.0', diagnosticCode: 'smtp; 550 user unknown' },
      ],
      originalMessageId: '<inv-42@billing.example>',
    });
  });

  it('is null for what is not a delivery-status report', () => {
    expect(parseDeliveryStatusReport('Subject: Out of office\r\n\r\nAway.\r\n')).toBeNull();
    expect(parseDeliveryStatusReport(REPORT.replace('delivery-status"', 'disposition-notification"'))).toBeNull();
  });

  it('states the reason with the three fields and takes the reply code from an smtp diagnostic only', () => {
    expect(bounceReason({ finalRecipient: 'a@b.example', action: 'failed', status: '5.1.1', diagnosticCode: null })).toBe('bounced after sending: Final-Recipient a@b.example; Status 5.1.1');
    expect(smtpCodeOf('smtp; 552 5.2.2 mailbox full')).toBe(552);
    expect(smtpCodeOf('x-unix; no such user')).toBeNull();
    expect(smtpCodeOf(null)).toBeNull();
  });
});
