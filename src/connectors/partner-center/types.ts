// Microsoft's shapes, as documented, with the fields the hub reads named and the
// rest kept (index signatures): the mapping layer decides what matters, and a
// field Microsoft adds tomorrow must not be dropped on the floor today.

export interface PartnerCenterCustomer {
  /** The customer's tenant id. */
  id: string;
  commerceId?: string;
  companyProfile?: { tenantId?: string; domain?: string; companyName?: string; [field: string]: unknown };
  relationshipToPartner?: string;
  associatedPartnerId?: string;
  [field: string]: unknown;
}

export interface PartnerCenterSubscription {
  id: string;
  offerId?: string;
  offerName?: string;
  friendlyName?: string;
  quantity?: number;
  unitType?: string;
  status?: string;
  creationDate?: string;
  effectiveStartDate?: string;
  commitmentEndDate?: string;
  autoRenewEnabled?: boolean;
  billingType?: string;
  billingCycle?: string;
  termDuration?: string;
  isTrial?: boolean;
  orderId?: string;
  entitlementId?: string;
  [field: string]: unknown;
}

/** Money fields arrive as exact decimal text (see `exactNumbers`). */
export interface PartnerCenterInvoice {
  id: string;
  invoiceDate?: string;
  billingPeriodStartDate?: string;
  billingPeriodEndDate?: string;
  totalCharges?: string;
  paidAmount?: string;
  currencyCode?: string;
  invoiceType?: string;
  documentType?: string;
  [field: string]: unknown;
}

/**
 * A reconciliation or daily rated usage line, camelCase as the v1 API returns it
 * (the v2 export's keys are PascalCase in Microsoft's docs). Every number is exact text.
 */
export type PartnerCenterLineItem = Record<string, unknown>;

/** Which v1 (synchronous, being retired) usage lines to page through. */
export type LegacyUsageSource =
  | { kind: 'billed'; invoiceId: string; currency?: string }
  | { kind: 'unbilled'; currency: string; period: 'current' | 'previous' };

/** What to export through Graph. Graph names the previous month `last`, not `previous`. */
export type BillingExportSource =
  | { kind: 'billed'; invoiceId: string }
  | { kind: 'unbilled'; billingPeriod: 'current' | 'last'; currencyCode: string };

export type AttributeSet = 'full' | 'basic';

export type ExportOperationResult =
  | {
      id: string;
      status: 'succeeded';
      manifestId: string;
      /** Graph's `resourceLocation@odata.navigationLink`. */
      manifestUrl: string;
      createdDateTime?: string;
      lastActionDateTime?: string;
      polls: number;
    }
  | {
      id: string;
      status: 'failed';
      /** e.g. code "5000", "No data available" for a period without usage. */
      error: { code: string; message: string };
      createdDateTime?: string;
      lastActionDateTime?: string;
      polls: number;
    };

export interface BillingManifestBlob {
  name: string;
  partitionValue?: string;
}

export interface BillingManifest {
  id: string;
  schemaVersion?: string;
  dataFormat?: string;
  createdDateTime?: string;
  /** Changes with every new version of the data: the idempotency key of an import. */
  eTag?: string;
  partnerTenantId?: string;
  rootDirectory: string;
  sasToken: string;
  partitionType?: string;
  blobCount?: number;
  blobs: BillingManifestBlob[];
  [field: string]: unknown;
}

/** Microsoft Graph `delegatedAdminRelationship` (GDAP), as `tenantRelationships/delegatedAdminRelationships` lists it. */
export interface GdapRelationship {
  id: string;
  displayName?: string;
  /** ISO 8601 duration, e.g. `P730D`. */
  duration?: string;
  customer?: { tenantId?: string; displayName?: string; [field: string]: unknown };
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] };
  status?: string;
  /** `PT0S`: no automatic extension. */
  autoExtendDuration?: string;
  activatedDateTime?: string | null;
  endDateTime?: string | null;
  [field: string]: unknown;
}

/** Microsoft Graph `delegatedAdminAccessAssignment`: roles of a relationship given to a partner security group. */
export interface GdapAccessAssignment {
  id: string;
  status?: string;
  accessContainer?: { accessContainerId?: string; accessContainerType?: string };
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] };
  [field: string]: unknown;
}

/** Microsoft Graph `subscribedSku` in a customer's tenant: seats bought (by state) and assigned. */
export interface SubscribedSku {
  id: string;
  skuId: string;
  skuPartNumber: string;
  appliesTo?: string;
  capabilityStatus?: string;
  consumedUnits: number;
  prepaidUnits: { enabled: number; suspended?: number; warning?: number; lockedOut?: number };
  [field: string]: unknown;
}
