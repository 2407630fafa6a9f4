export { hubspotDeclaration } from './declaration.ts';
export { createHubSpotLimiter, hubspotLimits, type HubSpotAuthMode } from './limits.ts';
