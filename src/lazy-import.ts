/**
 * Packages the hub loads at their first use, never at start: each costs tens of MB
 * resident merely to import (xero-node about 47 MB over Node's own baseline, jsforce 40,
 * node-quickbooks 31, pdfkit 29, @hubspot/api-client 15), and most deployments use one
 * accounting system and one CRM, or none. Import their types with `import type`;
 * load their values with `lazyImport`. test/unit/lazy-packages.test.ts fails when the
 * API or the worker loads one of them at start.
 */
export const LAZY_PACKAGES = ['xero-node', 'jsforce', 'node-quickbooks', '@hubspot/api-client', 'pdfkit', 'nodemailer'] as const;

/** A loader that imports once, on its first call, and shares that promise afterwards. */
export function lazyImport<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
}
