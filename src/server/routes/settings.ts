import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { DEFAULT_PAYMENT_TERMS_DAYS, loadInvoiceSeller, saveInvoiceSeller, type InvoiceSeller as StoredSeller, type StoredSetting } from '../../db/settings.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, invalidFields, type FieldError } from '../problem.ts';
import { Timestamp } from '../wire-types.ts';

// Hub-wide settings. The invoice seller is the header every invoice document prints:
// the MSP's name, address, tax id and contact address, and the payment terms that set
// the due date. Documents rendered after a change show the new header.

const Name = Type.String({ minLength: 1, maxLength: 200, description: "The MSP's legal or trading name, printed as the document's heading", examples: ['Northwind MSP Ltd'] });
const AddressLines = Type.Array(Type.String({ maxLength: 200 }), { maxItems: 8, description: 'Postal address, one line each (blank lines are dropped)', examples: [['1 Harbour Road', 'Leeds LS1 4AB', 'United Kingdom']] });
const TaxId = Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'VAT number or other tax id, printed as "Tax ID: …"', examples: ['GB123456789'] });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()], { description: 'Billing contact address printed under the address', examples: ['billing@northwind.example'] });
const PaymentTermsDays = Type.Integer({ minimum: 0, maximum: 365, default: DEFAULT_PAYMENT_TERMS_DAYS, description: 'Days from the issue date to the due date' });

export const InvoiceSeller = Type.Object(
  {
    name: Type.String(),
    addressLines: Type.Array(Type.String()),
    taxId: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    paymentTermsDays: Type.Integer(),
    updatedAt: Timestamp,
  },
  { $id: 'InvoiceSeller' },
);

const InvoiceSellerInput = Type.Object(
  {
    name: Name,
    addressLines: Type.Optional(AddressLines),
    taxId: Type.Optional(TaxId),
    email: Type.Optional(Email),
    paymentTermsDays: Type.Optional(PaymentTermsDays),
  },
  { additionalProperties: false, description: 'The whole seller header: a field left out is cleared (paymentTermsDays: back to 30)' },
);

function toView(stored: StoredSetting<StoredSeller>): Static<typeof InvoiceSeller> {
  return { ...stored.value, updatedAt: stored.updatedAt.toISOString() };
}

/** Trimmed values; 400 naming a blank name. */
function sellerOf(body: Static<typeof InvoiceSellerInput>): StoredSeller {
  const errors: FieldError[] = [];
  const name = body.name.trim();
  if (name === '') errors.push({ field: 'name', reason: 'must not be blank: documents print it as their heading' });
  if (errors.length > 0) throw invalidFields(errors);
  const optional = (v: string | null | undefined) => (v == null || v.trim() === '' ? null : v.trim());
  return {
    name,
    addressLines: (body.addressLines ?? []).map((l) => l.trim()).filter((l) => l !== ''),
    taxId: optional(body.taxId),
    email: optional(body.email),
    paymentTermsDays: body.paymentTermsDays ?? DEFAULT_PAYMENT_TERMS_DAYS,
  };
}

export function settingsRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(InvoiceSeller);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/settings/invoice-seller',
    {
      config: { auth: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['settings'],
        summary: 'The seller header invoice documents print (404 until one is set: documents then show a placeholder)',
        response: { 200: Type.Ref('InvoiceSeller') },
      },
    },
    async () => {
      const stored = await loadInvoiceSeller(ctx.db);
      if (!stored) throw new ApiProblem(404, 'not-found', 'Not found', 'no invoice seller has been set (PUT /v1/settings/invoice-seller)');
      return toView(stored);
    },
  );

  r.put(
    '/v1/settings/invoice-seller',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['settings'],
        summary: 'Set the seller header invoice documents print; documents rendered from now on show it',
        body: InvoiceSellerInput,
        response: { 200: Type.Ref('InvoiceSeller') },
      },
    },
    async (request) => {
      const seller = sellerOf(request.body);
      const stored = await ctx.db.transaction().execute((trx) => saveInvoiceSeller(trx, seller, actorOf(request)));
      return toView(stored);
    },
  );
}
