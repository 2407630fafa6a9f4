import type { Contact } from 'xero-node';
import { checkedRules, mappedText } from '../checked.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';
import { toXeroContact } from './contact-mapping.ts';

// A hub customer through the connection's Xero contact mapping (xero/contact-mapping.ts).

const CONTACT = mappingObject('xero', 'contact')!;

export interface XeroContactMapping {
  version: number;
  checked: CheckedMapping;
}

export function xeroContactMapping(version: number, rules: readonly MappingRule[]): XeroContactMapping {
  return { version, checked: checkedRules(CONTACT, rules) };
}

/**
 * The contact the posting job creates for a hub customer. Its ContactNumber must stay the
 * hub customer id: the job finds the contact again by it before creating one.
 */
export function mappedXeroContact(mapping: XeroContactMapping, customer: { id: string; name: string }): Contact {
  const values = mappedText(CONTACT, mapping, { customer }, `customer ${customer.id}`);
  if (values.ContactNumber !== customer.id) {
    throw new Error(`the Xero contact mapping (version ${mapping.version}) must copy customer.id into ContactNumber: the posting finds the contact again by it`);
  }
  return toXeroContact(values);
}
