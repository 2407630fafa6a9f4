import { sql, type Kysely } from 'kysely';

// Rate cards with dual approval, fx rates, the editable charge-category mapping and
// versioned allocation rules: the inputs the billing engine prices and splits with.
//
// The category mapping is seeded with a frozen copy of the engine's default mapping
// (src/engine/categories.ts, DEFAULT_CATEGORY_MAPPING) as it stood when this migration
// landed: a migration must give the same schema and rows on every database, so it does
// not import code that may change. test/integration/charge-categories.test.ts proves the
// seed still equals the engine's defaults.
const SEEDED_METER_CATEGORIES: ReadonlyArray<readonly [string, string]> = [
  ['Virtual Machines', 'compute'],
  ['Virtual Machines Licenses', 'compute'],
  ['Azure App Service', 'compute'],
  ['Functions', 'compute'],
  ['Container Instances', 'compute'],
  ['Azure Kubernetes Service', 'compute'],
  ['Cloud Services', 'compute'],
  ['Batch', 'compute'],
  ['Azure Virtual Desktop', 'compute'],
  ['Storage', 'storage'],
  ['Backup', 'storage'],
  ['Azure NetApp Files', 'storage'],
  ['Azure Site Recovery', 'storage'],
  ['Bandwidth', 'networking'],
  ['Virtual Network', 'networking'],
  ['Load Balancer', 'networking'],
  ['VPN Gateway', 'networking'],
  ['Application Gateway', 'networking'],
  ['Azure DNS', 'networking'],
  ['Azure Firewall', 'networking'],
  ['Azure Front Door Service', 'networking'],
  ['Content Delivery Network', 'networking'],
  ['ExpressRoute', 'networking'],
  ['Network Watcher', 'networking'],
  ['Azure Bastion', 'networking'],
  ['NAT Gateway', 'networking'],
  ['SQL Database', 'databases'],
  ['SQL Managed Instance', 'databases'],
  ['Azure Cosmos DB', 'databases'],
  ['Azure Database for PostgreSQL', 'databases'],
  ['Azure Database for MySQL', 'databases'],
  ['Redis Cache', 'databases'],
  ['Azure Synapse Analytics', 'databases'],
];
/** '*' = every publisher that is not Microsoft (the engine's thirdPartyPublisher default). */
const SEEDED_THIRD_PARTY_PUBLISHER = 'marketplace';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- A customer's card, or a template (no customer) that customer cards inherit rules from.
    create table rate_cards (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(trim(name)) > 0),
      customer_id uuid references customers (id),
      is_template boolean not null default false,
      template_id uuid references rate_cards (id),
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- A template is shared: it belongs to no customer and inherits from nothing.
      constraint rate_cards_template_shape check (not is_template or (customer_id is null and template_id is null)),
      constraint rate_cards_owner check (is_template or customer_id is not null)
    );
    -- One card per customer: new prices are new versions of it, so "the customer's card" is never ambiguous.
    create unique index rate_cards_one_per_customer_idx on rate_cards (customer_id) where customer_id is not null;
    create index rate_cards_created_at_idx on rate_cards (created_at desc, id desc);
    create index rate_cards_template_idx on rate_cards (template_id) where template_id is not null;
    create trigger rate_cards_updated_at before update on rate_cards for each row execute function set_updated_at();

    -- A version prices nothing until approved. effective_to is the last day (inclusive) it
    -- prices; a version replaced before it ever took effect gets effective_from - 1 (no days).
    create table rate_card_versions (
      id uuid primary key default gen_random_uuid(),
      rate_card_id uuid not null references rate_cards (id),
      version integer not null check (version > 0),
      status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'superseded')),
      effective_from date not null,
      effective_to date,
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      rounding_scope text not null check (rounding_scope in ('line', 'invoice')),
      rounding_mode text not null check (rounding_mode in ('half_up', 'half_even')),
      fx_source text not null check (fx_source in ('microsoft', 'market', 'fixed')),
      fx_from_currency char(3) check (fx_from_currency ~ '^[A-Z]{3}$'),
      fx_rate numeric check (fx_rate > 0),
      minimum_monthly numeric check (minimum_monthly >= 0),
      target_margin_percent numeric check (target_margin_percent < 100),
      requested_by text not null,
      requested_at timestamptz not null default now(),
      justification text,
      decided_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint rate_card_versions_number_key unique (rate_card_id, version),
      constraint rate_card_versions_fixed_fx check ((fx_source = 'fixed') = (fx_rate is not null) and (fx_source = 'fixed') = (fx_from_currency is not null)),
      constraint rate_card_versions_range check (effective_to is null or effective_to >= effective_from - 1),
      constraint rate_card_versions_open_until_approved check (status in ('approved', 'superseded') or effective_to is null),
      constraint rate_card_versions_decided check ((status = 'pending') = (decided_at is null))
    );
    create index rate_card_versions_effective_idx on rate_card_versions (rate_card_id, effective_from)
      where status in ('approved', 'superseded');
    create trigger rate_card_versions_updated_at before update on rate_card_versions for each row execute function set_updated_at();

    create table rate_card_rules (
      id uuid primary key default gen_random_uuid(),
      rate_card_version_id uuid not null references rate_card_versions (id),
      position integer not null check (position >= 0),
      match_kind text not null check (match_kind in ('sku', 'meterId', 'category', 'default')),
      match_value text,
      basis text check (basis in ('cost', 'list')),
      markup_percent numeric check (markup_percent >= -100),
      unit_price numeric check (unit_price >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint rate_card_rules_position_key unique (rate_card_version_id, position),
      constraint rate_card_rules_match_value check ((match_kind = 'default') = (match_value is null)),
      constraint rate_card_rules_category check (
        match_kind <> 'category'
        or match_value in ('compute', 'storage', 'networking', 'databases', 'licenses', 'marketplace', 'support', 'other')
      ),
      -- Exactly one way to price: a markup on a basis, or a fixed unit price.
      constraint rate_card_rules_one_price check ((markup_percent is null) <> (unit_price is null)),
      constraint rate_card_rules_basis check ((basis is null) = (markup_percent is null))
    );
    -- SKU and meter ids match case-insensitively in the engine, so two rules may not differ by case only.
    create unique index rate_card_rules_match_idx on rate_card_rules (rate_card_version_id, match_kind, lower(coalesce(match_value, '')));

    -- Decisions on anything that needs sign-off (rate card versions first). A version gets
    -- at most one approval per role and per key, and at most one rejection (which ends it).
    create table approvals (
      id uuid primary key default gen_random_uuid(),
      entity text not null,
      entity_id uuid not null,
      version integer not null,
      role text not null check (role in ('admin', 'finance', 'sales_ops', 'billing_ops', 'auditor')),
      decision text not null check (decision in ('approve', 'reject')),
      api_key_id uuid not null references api_keys (id),
      comment text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint approvals_reason check (decision = 'approve' or (comment is not null and length(trim(comment)) > 0))
    );
    create unique index approvals_one_per_role_idx on approvals (entity, entity_id, version, role) where decision = 'approve';
    create unique index approvals_one_per_key_idx on approvals (entity, entity_id, version, api_key_id) where decision = 'approve';
    create unique index approvals_one_rejection_idx on approvals (entity, entity_id, version) where decision = 'reject';
    create index approvals_entity_idx on approvals (entity, entity_id, version);

    -- Units of to_currency per one from_currency, valid from rate_date.
    create table fx_rates (
      id uuid primary key default gen_random_uuid(),
      source text not null check (source in ('microsoft', 'market', 'fixed')),
      from_currency char(3) not null check (from_currency ~ '^[A-Z]{3}$'),
      to_currency char(3) not null check (to_currency ~ '^[A-Z]{3}$'),
      rate numeric not null check (rate > 0),
      rate_date date not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint fx_rates_pair check (from_currency <> to_currency),
      constraint fx_rates_natural_key unique (source, from_currency, to_currency, rate_date)
    );
    create index fx_rates_to_idx on fx_rates (source, to_currency, rate_date);
    create index fx_rates_date_idx on fx_rates (rate_date desc, id desc);
    create trigger fx_rates_updated_at before update on fx_rates for each row execute function set_updated_at();

    -- Which Partner Center attribute puts a line in which charge category. Lookups are
    -- case-insensitive, so values are unique regardless of case.
    create table charge_category_mappings (
      id uuid primary key default gen_random_uuid(),
      match_kind text not null check (match_kind in ('sku', 'product', 'meterCategory', 'publisher')),
      match_value text not null check (length(trim(match_value)) > 0),
      category text not null
        check (category in ('compute', 'storage', 'networking', 'databases', 'licenses', 'marketplace', 'support', 'other')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index charge_category_mappings_match_idx on charge_category_mappings (match_kind, lower(match_value));
    create trigger charge_category_mappings_updated_at before update on charge_category_mappings for each row execute function set_updated_at();

    -- One row per edit of the mapping: its number is the mapping version a categorised line records.
    create table charge_category_mapping_versions (
      id uuid primary key default gen_random_uuid(),
      version integer not null unique check (version > 0),
      created_by text not null,
      justification text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table allocation_rules (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index allocation_rules_customer_idx on allocation_rules (customer_id, created_at desc);
    create trigger allocation_rules_updated_at before update on allocation_rules for each row execute function set_updated_at();

    -- Every change to a rule is a new version with its reason; a retired rule's last version says so.
    create table allocation_rule_versions (
      id uuid primary key default gen_random_uuid(),
      allocation_rule_id uuid not null references allocation_rules (id),
      version integer not null check (version > 0),
      status text not null default 'active' check (status in ('active', 'retired')),
      priority integer not null check (priority >= 0),
      match_kind text not null check (match_kind in ('tag', 'resourceGroup', 'subscriptionId', 'meterCategory')),
      -- The resource group, subscription id or meter category; for a tag, the tag key.
      match_value text not null check (length(trim(match_value)) > 0),
      -- For a tag: the value it must have (null = any non-blank value).
      match_tag_value text,
      effective_from date not null,
      justification text not null check (length(trim(justification)) > 0),
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint allocation_rule_versions_number_key unique (allocation_rule_id, version),
      constraint allocation_rule_versions_tag_value check (match_kind = 'tag' or match_tag_value is null)
    );

    create table allocation_rule_splits (
      id uuid primary key default gen_random_uuid(),
      allocation_rule_version_id uuid not null references allocation_rule_versions (id),
      position integer not null check (position >= 0),
      cost_node_id uuid not null references cost_nodes (id),
      percent numeric not null check (percent > 0 and percent <= 100),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint allocation_rule_splits_position_key unique (allocation_rule_version_id, position),
      constraint allocation_rule_splits_node_key unique (allocation_rule_version_id, cost_node_id)
    );

    -- A rule version's splits add up to exactly 100 %, checked when the transaction commits.
    create function allocation_splits_sum_to_100() returns trigger language plpgsql as $$
    declare
      total numeric;
    begin
      select sum(percent) into total from allocation_rule_splits where allocation_rule_version_id = new.allocation_rule_version_id;
      if total is distinct from 100 then
        raise exception 'the splits of allocation rule version % sum to % %%, not 100 %%', new.allocation_rule_version_id, total
          using errcode = '23514';
      end if;
      return null;
    end $$;
    create constraint trigger allocation_rule_splits_sum after insert or update on allocation_rule_splits
      deferrable initially deferred for each row execute function allocation_splits_sum_to_100();
  `.execute(db);

  await db
    .insertInto('charge_category_mappings')
    .values([
      ...SEEDED_METER_CATEGORIES.map(([value, category]) => ({ match_kind: 'meterCategory', match_value: value, category })),
      { match_kind: 'publisher', match_value: '*', category: SEEDED_THIRD_PARTY_PUBLISHER },
    ])
    .execute();
  await db
    .insertInto('charge_category_mapping_versions')
    .values({ version: 1, created_by: 'system:migration', justification: "the billing engine's default mapping" })
    .execute();
}
