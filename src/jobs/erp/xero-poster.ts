import type { Invoice } from 'xero-node';
import type { XeroPostingClient } from '../../connectors/xero/client.ts';
import { Decimal } from '../../engine/decimal.ts';
import { toXeroInvoice } from '../../mappings/xero/invoice.ts';
import type { ErpDocument, ErpPoster } from './poster.ts';

const documentOf = (invoice: Invoice): ErpDocument => ({
  id: invoice.invoiceID!,
  number: invoice.invoiceNumber!,
  subTotal: new Decimal(String(invoice.subTotal ?? 0)),
  status: String(invoice.status),
});

/** Xero behind the posting job: contacts carry the hub customer id as ContactNumber. */
export function xeroPoster(client: XeroPostingClient): ErpPoster {
  return {
    findCustomer: async ({ hubCustomerId }) => (await client.findContactByNumber(hubCustomerId))?.contactID,
    createCustomer: async ({ hubCustomerId, name }, key) => (await client.createContact({ name, contactNumber: hubCustomerId }, key)).contactID!,
    findInvoice: async (number) => {
      const found = await client.findInvoiceByNumber(number);
      return found ? documentOf(found) : undefined;
    },
    createInvoice: async (header, lines, key) =>
      documentOf(await client.createInvoice(toXeroInvoice({ ...header, contactId: header.customerRef }, lines), key)),
    voidInvoice: async (documentId, key) => {
      await client.voidInvoice(documentId, key);
    },
  };
}
