/**
 * Public surface of the Partner Center sandbox: a fake of Entra ID's token
 * endpoint, Partner Center REST v1, Microsoft Graph partner-billing exports and
 * their blob storage, generated from a seeded portfolio. See server.ts for the
 * paths and the options, fields.ts for the line field names.
 */
export { startPartnerCenterSandbox, createPartnerCenterSandboxApp } from './server.ts';
export type { PartnerCenterSandbox, PartnerCenterSandboxOptions } from './server.ts';
export { createPortfolio, Portfolio } from './portfolio.ts';
export { UsageLineSource, USAGE_DYNAMIC_COLUMNS } from './usage-lines.ts';
export type { UsageScope } from './usage-lines.ts';
export { LicenseLineSource } from './license-lines.ts';
export {
  USAGE_LINE_FIELDS,
  LICENSE_LINE_FIELDS,
  fieldIndex,
  BILLING_PROVIDER,
  USAGE_LINE_API_OBJECT_TYPE,
  LICENSE_LINE_API_OBJECT_TYPE,
} from '../../mappings/partner-center/fields.ts';
export type { FieldMapping, FieldType } from '../../mappings/partner-center/fields.ts';
export { AUDIENCES } from './tokens.ts';
export * as formulas from './formulas.ts';
export type * from './interfaces.ts';
