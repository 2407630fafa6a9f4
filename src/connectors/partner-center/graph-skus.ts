/**
 * Which new-commerce product a Microsoft Graph licence SKU is, so a tenant's unassigned
 * seats can be priced from the partner's licence lines. Graph names a SKU by GUID and
 * string id (Microsoft's published "product names and service plan identifiers for
 * licensing" table); Partner Center names the product by its 12-character product id.
 * A SKU missing here is still recorded and judged, only without a price.
 */
export const GRAPH_SKU_PRODUCTS: Readonly<Record<string, { skuPartNumber: string; productId: string; productName: string }>> = {
  '3b555118-da6a-4418-894f-7df1e2096870': { skuPartNumber: 'O365_BUSINESS_ESSENTIALS', productId: 'CFQ7TTC0LH18', productName: 'Microsoft 365 Business Basic' },
  'f245ecc8-75af-4f8e-b61f-27d8114de5f3': { skuPartNumber: 'O365_BUSINESS_PREMIUM', productId: 'CFQ7TTC0LDPB', productName: 'Microsoft 365 Business Standard' },
  'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46': { skuPartNumber: 'SPB', productId: 'CFQ7TTC0LCHC', productName: 'Microsoft 365 Business Premium' },
  '05e9a617-0261-4cee-bb44-138d3ef5d965': { skuPartNumber: 'SPE_E3', productId: 'CFQ7TTC0LFLX', productName: 'Microsoft 365 E3' },
  '06ebc4ee-1bb5-47dd-8120-11324bc54e06': { skuPartNumber: 'SPE_E5', productId: 'CFQ7TTC0LFLZ', productName: 'Microsoft 365 E5' },
  '18181a46-0d4e-45cd-891e-60aabd171b4e': { skuPartNumber: 'STANDARDPACK', productId: 'CFQ7TTC0LF8Q', productName: 'Office 365 E1' },
  '6fd2c87f-b296-42f0-b197-1e91e994b900': { skuPartNumber: 'ENTERPRISEPACK', productId: 'CFQ7TTC0LF8R', productName: 'Office 365 E3' },
  '4b9405b0-7788-4568-add1-99614e613b69': { skuPartNumber: 'EXCHANGESTANDARD', productId: 'CFQ7TTC0LH16', productName: 'Exchange Online (Plan 1)' },
  'f8a1db68-be16-40ed-86d5-cb42ce701560': { skuPartNumber: 'POWER_BI_PRO', productId: 'CFQ7TTC0L3PB', productName: 'Power BI Pro' },
  'e43b5b99-8dfb-405f-9987-dc307f34bcbd': { skuPartNumber: 'MCOEV', productId: 'CFQ7TTC0LHXM', productName: 'Microsoft Teams Phone Standard' },
};
