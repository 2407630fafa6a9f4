/**
 * Static catalogue the portfolio draws from. Prices are USD list prices in the
 * shape Microsoft publishes them (new-commerce licences per user per month, Azure
 * pay-as-you-go per meter unit); they are realistic, not authoritative, and product
 * ids follow Microsoft's formats (12-character product id, 4-character SKU id).
 */

export interface LicenseSku {
  productId: string;
  skuId: string;
  availabilityId: string;
  productName: string;
  skuName: string;
  productCategory: string;
  /** USD per seat per month on an annual (P1Y) term. */
  annualTermMonthlyPrice: string;
  /** USD per seat per month on a monthly (P1M) term: Microsoft charges a 20 % premium. */
  monthlyTermPrice: string;
  productQualifiers: string[];
}

export const LICENSE_SKUS: readonly LicenseSku[] = [
  sku('CFQ7TTC0LH18', '0001', 'CFQ7TTC0K5CS', 'Microsoft 365 Business Basic', 'Microsoft 365', '6.00', '7.20'),
  sku('CFQ7TTC0LDPB', '0001', 'CFQ7TTC0K9ZQ', 'Microsoft 365 Business Standard', 'Microsoft 365', '12.50', '15.00'),
  sku('CFQ7TTC0LCHC', '0002', 'CFQ7TTC0K6L1', 'Microsoft 365 Business Premium', 'Microsoft 365', '22.00', '26.40'),
  sku('CFQ7TTC0LFLX', '0001', 'CFQ7TTC0K8J3', 'Microsoft 365 E3', 'Microsoft 365', '36.00', '43.20'),
  sku('CFQ7TTC0LFLZ', '0002', 'CFQ7TTC0K8KM', 'Microsoft 365 E5', 'Microsoft 365', '57.00', '68.40'),
  sku('CFQ7TTC0LF8Q', '0001', 'CFQ7TTC0K5DJ', 'Office 365 E1', 'Office 365', '10.00', '12.00'),
  sku('CFQ7TTC0LF8R', '0001', 'CFQ7TTC0K5DM', 'Office 365 E3', 'Office 365', '23.00', '27.60'),
  sku('CFQ7TTC0LH16', '0001', 'CFQ7TTC0K5BZ', 'Exchange Online (Plan 1)', 'Exchange', '4.00', '4.80'),
  sku('CFQ7TTC0L3PB', '0001', 'CFQ7TTC0KHS1', 'Power BI Pro', 'Power BI', '14.00', '16.80'),
  sku('CFQ7TTC0LHXM', '0001', 'CFQ7TTC0K5GF', 'Microsoft Teams Phone Standard', 'Teams', '10.00', '12.00', ['AddOn']),
];

function sku(
  productId: string,
  skuId: string,
  availabilityId: string,
  name: string,
  productCategory: string,
  annualTermMonthlyPrice: string,
  monthlyTermPrice: string,
  productQualifiers: string[] = [],
): LicenseSku {
  return {
    productId,
    skuId,
    availabilityId,
    productName: name,
    skuName: name,
    productCategory,
    annualTermMonthlyPrice,
    monthlyTermPrice,
    productQualifiers,
  };
}

/** Azure plan, the one new-commerce offer that carries all Azure consumption. */
export const AZURE_PLAN = {
  productId: 'DZH318Z0BPS6',
  skuId: '0001',
  availabilityId: 'DZH318Z0BNZ9',
  name: 'Azure plan',
} as const;

/** How a meter's daily quantity is shaped. */
export type QuantityShape =
  /** Compute hours: 24 a day, or office hours on weekdays for dev boxes. */
  | 'hours'
  /** A monthly unit consumed a day at a time: size × 1/days-in-month. */
  | 'monthly'
  /** Metered volume that varies day to day (GB out, GB ingested, 10K operations). */
  | 'volume'
  /** Exactly one unit per day. */
  | 'daily';

export interface MeterDef {
  key: string;
  meterCategory: string;
  meterSubCategory: string;
  meterName: string;
  meterType: string;
  unit: string;
  /** USD pay-as-you-go price per unit: many decimals, as Microsoft publishes. */
  unitPrice: string;
  consumedService: string;
  resourceType: string;
  namePrefix: string;
  productId: string;
  skuId: string;
  availabilityId: string;
  productName: string;
  skuName: string;
  shape: QuantityShape;
  /** Size range for 'monthly' and volume range for 'volume' (whole units). */
  range: [number, number];
  /** Partner-earned credit never applies to some meters (Microsoft excludes e.g. Spot VMs). */
  pecEligible: boolean;
  additionalInfo: string;
}

export const METERS: readonly MeterDef[] = [
  meter('vm-d2sv3', 'Virtual Machines', 'Dv3/DSv3 Series', 'D2s v3', '1 Compute Hour', '1 Hour', '0.096', 'Microsoft.Compute', 'virtualMachines', 'vm', 'DZH318Z0BQPS', '00TF', 'Virtual Machines Dv3 Series', 'hours', [24, 24], true, '{"ServiceType":"Standard_D2s_v3","ImageType":"Canonical","VCPUs":2}'),
  meter('vm-b2ms', 'Virtual Machines', 'BS Series', 'B2ms', '1 Compute Hour', '1 Hour', '0.0832', 'Microsoft.Compute', 'virtualMachines', 'vmb', 'DZH318Z0BQ4B', '0014', 'Virtual Machines BS Series', 'hours', [24, 24], true, '{"ServiceType":"Standard_B2ms","ImageType":"Windows Server BYOL","VCPUs":2}'),
  meter('vm-spot', 'Virtual Machines', 'Dv3/DSv3 Series', 'D4s v3 Spot', '1 Compute Hour', '1 Hour', '0.0384', 'Microsoft.Compute', 'virtualMachines', 'spot', 'DZH318Z0BQPS', '00TJ', 'Virtual Machines Dv3 Series', 'hours', [24, 24], false, '{"ServiceType":"Standard_D4s_v3","ImageType":"Canonical","VCPUs":4,"Priority":"Spot"}'),
  meter('disk-p10', 'Storage', 'Premium SSD Managed Disks', 'P10 LRS Disk', '1/Month', '1/Month', '19.71', 'Microsoft.Compute', 'disks', 'disk', 'DZH318Z0BP04', '003D', 'Premium SSD Managed Disks', 'monthly', [1, 1], true, ''),
  meter('blob-hot', 'Storage', 'Tiered Block Blob', 'Hot LRS Data Stored', '1 GB/Month', '1 GB/Month', '0.0184', 'Microsoft.Storage', 'storageAccounts', 'st', 'DZH318Z0BNVX', '000F', 'Blob Storage', 'monthly', [50, 4000], true, ''),
  meter('bandwidth-out', 'Bandwidth', 'Rtn Preference: MGN', 'Standard Data Transfer Out', '1 GB', '1 GB', '0.087', 'Microsoft.Network', 'publicIPAddresses', 'pip', 'DZH318Z0BNVW', '00K0', 'Bandwidth', 'volume', [1, 400], true, ''),
  meter('sql-s1', 'SQL Database', 'Single Standard', 'S1 DTUs', '1/Day', '1/Day', '0.9677', 'Microsoft.Sql', 'servers/databases', 'sqldb', 'DZH318Z0BQ4P', '0012', 'SQL Database Single Standard', 'daily', [1, 1], true, ''),
  meter('app-b1', 'Azure App Service', 'Basic Plan', 'B1 App', '1 Hour', '1 Hour', '0.075', 'Microsoft.Web', 'serverfarms', 'asp', 'DZH318Z0BNXB', '0016', 'Azure App Service Basic Plan', 'hours', [24, 24], true, ''),
  meter('cosmos-ru', 'Azure Cosmos DB', 'Serverless', 'Serverless Request Units', '1M', '1M', '0.25', 'Microsoft.DocumentDB', 'databaseAccounts', 'cosmos', 'DZH318Z0BQ1N', '0008', 'Azure Cosmos DB Serverless', 'volume', [1, 40], true, ''),
  meter('dns-queries', 'Azure DNS', 'Public', 'Public Queries', '1M', '1M', '0.40', 'Microsoft.Network', 'dnszones', 'dns', 'DZH318Z0BNZ5', '0002', 'Azure DNS', 'volume', [1, 90], true, ''),
];

function meter(
  key: string,
  meterCategory: string,
  meterSubCategory: string,
  meterName: string,
  meterType: string,
  unit: string,
  unitPrice: string,
  consumedService: string,
  resourceType: string,
  namePrefix: string,
  productId: string,
  skuId: string,
  productName: string,
  shape: QuantityShape,
  range: [number, number],
  pecEligible: boolean,
  additionalInfo: string,
): MeterDef {
  return {
    key,
    meterCategory,
    meterSubCategory,
    meterName,
    meterType,
    unit,
    unitPrice,
    consumedService,
    resourceType,
    namePrefix,
    productId,
    skuId,
    availabilityId: `${productId.slice(0, 8)}${skuId}`,
    productName,
    skuName: meterName,
    shape,
    range,
    pecEligible,
    additionalInfo,
  };
}

export interface Region {
  location: string;
  meterRegion: string;
}

export const REGIONS: readonly Region[] = [
  { location: 'eastus', meterRegion: 'US East' },
  { location: 'westeurope', meterRegion: 'EU West' },
  { location: 'northeurope', meterRegion: 'EU North' },
  { location: 'uksouth', meterRegion: 'UK South' },
  { location: 'westus2', meterRegion: 'US West 2' },
];

/** Billing geographies: the customer's country decides its billing currency. */
export interface Geography {
  country: string;
  currency: 'USD' | 'EUR' | 'GBP';
  culture: string;
  cities: readonly string[];
  /** Central pricing→billing exchange rate; a month's rate wobbles around it. */
  usdRate: string;
}

export const GEOGRAPHIES: readonly Geography[] = [
  { country: 'US', currency: 'USD', culture: 'en-US', cities: ['Seattle', 'Austin', 'Boston', 'Denver'], usdRate: '1' },
  { country: 'DE', currency: 'EUR', culture: 'de-DE', cities: ['Berlin', 'Munich', 'Hamburg'], usdRate: '0.92' },
  { country: 'NL', currency: 'EUR', culture: 'nl-NL', cities: ['Amsterdam', 'Utrecht'], usdRate: '0.92' },
  { country: 'FR', currency: 'EUR', culture: 'fr-FR', cities: ['Paris', 'Lyon'], usdRate: '0.92' },
  { country: 'GB', currency: 'GBP', culture: 'en-GB', cities: ['London', 'Manchester', 'Leeds'], usdRate: '0.79' },
];

export const COMPANY_STEMS: readonly string[] = [
  'Contoso', 'Fabrikam', 'Northwind', 'Tailspin', 'Adatum', 'Litware', 'Proseware', 'Woodgrove',
  'Wingtip', 'Alpine', 'Coho', 'Fourth Coffee', 'Lamna', 'Relecloud', 'Trey', 'Wide World',
  'Blue Yonder', 'Humongous', 'Lucerne', 'Margie', 'Nod', 'Southridge', 'VanArsdel', 'Datum',
];

export const COMPANY_KINDS: readonly string[] = [
  'Dental', 'Logistics', 'Legal', 'Engineering', 'Healthcare', 'Retail', 'Foods', 'Architects',
  'Accounting', 'Manufacturing', 'Media', 'Travel', 'Insurance', 'Consulting',
];

export const COMPANY_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  US: ['Inc.', 'LLC', 'Corp.'],
  DE: ['GmbH', 'AG'],
  NL: ['B.V.'],
  FR: ['SAS', 'SARL'],
  GB: ['Ltd', 'plc'],
};

export const PROJECTS: readonly string[] = ['apollo', 'atlas', 'hermes', 'orion', 'phoenix', 'zephyr', 'nova', 'vega'];
export const ENVIRONMENTS: readonly string[] = ['prod', 'dev', 'test', 'shared'];
