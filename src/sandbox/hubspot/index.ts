export { createHubSpotSandboxApp, startHubSpotSandbox, type HubSpotSandbox, type HubSpotSandboxOptions } from './server.ts';
export { APP_ID, COMPANIES, DEALS, PORTAL_ID, TENANT_ID_PROPERTY, WON_STAGE } from './catalog.ts';
