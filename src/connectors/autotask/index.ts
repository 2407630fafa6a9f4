export { AutotaskClient, type AutotaskCredentials, type Page, type QueryRequest } from './client.ts';
export * as at from './filter.ts';
export { autotaskDeclaration } from './declaration.ts';
export { apiUrlOf, discoverZone } from './zone.ts';
export type * from './types.ts';
