import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { COST_NODE_KINDS, INVOICE_FORMATS, listOnboardingTemplates, REVIEW_CADENCES, saveOnboardingTemplate, type OnboardingTemplate, type TemplateInput } from '../../db/onboarding-templates.ts';
import { Decimal } from '../../engine/decimal.ts';
import { actorOf } from '../plugins/auth.ts';
import { invalidFields, type FieldError } from '../problem.ts';
import { Justification, Timestamp, UnsignedDecimalString } from '../wire-types.ts';

// Onboarding templates: what a won CRM deal sets up for its customer beyond the quote,
// chosen by the template key a deal field names (enterprise, smb, trial…).

const Key = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'What the CRM deal field holds to choose this template (lower case)', examples: ['enterprise'] });
const CostNode = Type.Object(
  {
    path: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 6, description: "Names from the customer's top level down; every parent path must come earlier in the list", examples: [['Engineering', 'Platform']] }),
    kind: Type.Enum([...COST_NODE_KINDS]),
  },
  { additionalProperties: false },
);
const Trial = Type.Object(
  {
    spendCap: UnsignedDecimalString({ description: "Most the customer may spend during the trial, in the deal's currency", examples: ['500.00'] }),
    days: Type.Integer({ minimum: 1, maximum: 366, description: 'The trial runs this many days from the close date; the conversion date is its last day + 1' }),
  },
  { additionalProperties: false },
);
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Enterprise'] }),
  costNodes: Type.Array(CostNode, { maxItems: 200, description: 'Cost nodes created under the customer (once: a re-won deal adds only the missing ones)' }),
  invoiceFormat: Type.Enum([...INVOICE_FORMATS], { description: 'detailed: a line per charge; summary: a line per category' }),
  reviewCadence: Type.Enum([...REVIEW_CADENCES], { description: 'How often the account is reviewed with the customer' }),
};

export const OnboardingTemplateView = Type.Object(
  { key: Key, ...Fields, trial: Type.Union([Trial, Type.Null()]), updatedBy: Type.String(), updatedAt: Timestamp },
  { $id: 'OnboardingTemplate' },
);
const TemplateBody = Type.Object(
  { ...Fields, trial: Type.Optional(Type.Union([Trial, Type.Null()], { description: 'Set only for a trial template' })), justification: Justification },
  { additionalProperties: false, description: 'The whole template: it replaces what the key held' },
);

function toView(t: OnboardingTemplate): Static<typeof OnboardingTemplateView> {
  return { ...t, updatedAt: t.updatedAt.toISOString() };
}

/** Trimmed names; 400 naming a node whose parent is not listed before it, a repeated node or a zero cap. */
function templateOf(key: string, body: Static<typeof TemplateBody>): TemplateInput {
  const errors: FieldError[] = [];
  const name = body.name.trim();
  if (name === '') errors.push({ field: 'name', reason: 'must not be blank' });
  const seen = new Set<string>();
  const costNodes = body.costNodes.map((node, i) => {
    const path = node.path.map((n) => n.trim());
    const id = JSON.stringify(path);
    if (path.some((n) => n === '')) errors.push({ field: `costNodes[${i}].path`, reason: 'a name must not be blank' });
    else if (seen.has(id)) errors.push({ field: `costNodes[${i}].path`, reason: `${path.join(' / ')} is listed twice` });
    else if (path.length > 1 && !seen.has(JSON.stringify(path.slice(0, -1)))) errors.push({ field: `costNodes[${i}].path`, reason: `its parent ${path.slice(0, -1).join(' / ')} must be listed before it` });
    seen.add(id);
    return { path, kind: node.kind };
  });
  const trial = body.trial ?? null;
  if (trial && new Decimal(trial.spendCap).isZero()) errors.push({ field: 'trial.spendCap', reason: 'must be more than zero' });
  if (errors.length > 0) throw invalidFields(errors);
  return { key, name, costNodes, invoiceFormat: body.invoiceFormat, reviewCadence: body.reviewCadence, trial: trial && { spendCap: new Decimal(trial.spendCap).toFixed(2), days: trial.days } };
}

export function onboardingTemplateRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(OnboardingTemplateView);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/onboarding-templates',
    {
      config: { auth: { roles: ['admin', 'sales_ops', 'auditor'] } },
      schema: {
        tags: ['onboarding-templates'],
        summary: 'The onboarding templates a won CRM deal can choose, by key',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('OnboardingTemplate')) }) },
      },
    },
    async () => ({ items: (await listOnboardingTemplates(ctx.db)).map(toView) }),
  );

  r.put(
    '/v1/onboarding-templates/:key',
    {
      config: { auth: { roles: ['admin', 'sales_ops'] } },
      schema: {
        tags: ['onboarding-templates'],
        summary: 'Create or replace an onboarding template (audited); deals won from now on apply it',
        params: Type.Object({ key: Key }),
        body: TemplateBody,
        response: { 200: Type.Ref('OnboardingTemplate') },
      },
    },
    async (request) => {
      const input = templateOf(request.params.key, request.body);
      const saved = await ctx.db.transaction().execute((trx) => saveOnboardingTemplate(trx, input, actorOf(request), request.body.justification));
      return toView(saved);
    },
  );
}
