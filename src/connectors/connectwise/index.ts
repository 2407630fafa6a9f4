export { ConnectWiseClient, apiBaseUrl, siteOrigin, type ConnectWiseCredentials, type Page, type PageRequest } from './client.ts';
export * as cw from './conditions.ts';
export { connectwiseDeclaration } from './declaration.ts';
export type * from './types.ts';
