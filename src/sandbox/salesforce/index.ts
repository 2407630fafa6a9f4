export { createSalesforceSandboxApp, startSalesforceSandbox, type SalesforceSandbox, type SalesforceSandboxOptions } from './server.ts';
export { ACCOUNTS, ONBOARDING_TEMPLATE_FIELD, OPPORTUNITIES, ORG_ID, TENANT_ID_FIELD, WON_STAGE } from './catalog.ts';
