import type { Kysely } from 'kysely';
import { DEFAULT_CATEGORY_MAPPING } from '../engine/categories.ts';
import type { CategoryMapping, ChargeCategory } from '../engine/types.ts';
import type { Database } from './types.ts';

// The editable charge-category mapping, read as the engine's CategoryMapping.

/** The id every mapping loaded from the database carries; its version is the edit number. */
export const CATEGORY_MAPPING_ID = 'hub';

/**
 * The value of a `publisher` entry that stands for every publisher other than Microsoft:
 * the engine tells Microsoft lines from third-party ones, not one publisher from another.
 */
export const THIRD_PARTY_PUBLISHERS = '*';

export type CategoryMatchKind = 'sku' | 'product' | 'meterCategory' | 'publisher';

/**
 * The current mapping: sku, product and meterCategory entries as stored; the `publisher`
 * '*' entry becomes the third-party publisher default. Which publishers count as Microsoft,
 * and the category of licence lines nothing else claims, stay the engine's defaults.
 *
 * @example
 *   const mapping = await loadCategoryMapping(db);
 *   categorize(line, mapping) // { category: 'compute', mappingId: 'hub', mappingVersion: 3, ... }
 */
export async function loadCategoryMapping(db: Kysely<Database>): Promise<CategoryMapping> {
  const rows = await db.selectFrom('charge_category_mappings').select(['match_kind', 'match_value', 'category']).orderBy('match_kind').orderBy('match_value').execute();
  const latest = await db
    .selectFrom('charge_category_mapping_versions')
    .select(({ fn }) => fn.max('version').as('version'))
    .executeTakeFirst();
  const byKind: Record<Exclude<CategoryMatchKind, 'publisher'>, Record<string, ChargeCategory>> = { sku: {}, product: {}, meterCategory: {} };
  let thirdPartyPublisher: ChargeCategory | null = null;
  for (const row of rows) {
    const category = row.category as ChargeCategory;
    if (row.match_kind === 'publisher') {
      if (row.match_value === THIRD_PARTY_PUBLISHERS) thirdPartyPublisher = category;
    } else {
      byKind[row.match_kind as Exclude<CategoryMatchKind, 'publisher'>][row.match_value] = category;
    }
  }
  return {
    id: CATEGORY_MAPPING_ID,
    version: latest?.version ?? 1,
    sku: byKind.sku,
    product: byKind.product,
    meterCategory: byKind.meterCategory,
    defaults: {
      thirdPartyPublisher,
      licenseLines: DEFAULT_CATEGORY_MAPPING.defaults.licenseLines,
      microsoftPublishers: [...DEFAULT_CATEGORY_MAPPING.defaults.microsoftPublishers],
    },
  };
}
