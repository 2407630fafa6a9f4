import type { RecordSchema } from '../../../src/mappings/engine/index.ts';

/** A small vendor record and canonical record, written for these tests (not the hub's own schemas). */
export const vendor: RecordSchema = {
  name: 'test vendor record',
  fields: {
    'v.name': { type: 'string' },
    'v.first': { type: 'string' },
    'v.last': { type: 'string' },
    'v.price': { type: 'decimal' },
    'v.quantity': { type: 'integer' },
    'v.priceText': { type: 'string' },
    'v.markupPercent': { type: 'decimal' },
    'v.sizeGb': { type: 'decimal' },
    'v.closed': { type: 'datetime' },
    'v.day': { type: 'date' },
    'v.epoch': { type: 'integer' },
    'v.active': { type: 'boolean' },
    'v.stage': { type: 'string', enum: ['won', 'lost', 'open'] },
    'v.country': { type: 'string' },
    'v.custom.*': { type: 'string' },
  },
};

export const canonical: RecordSchema = {
  name: 'test canonical record',
  fields: {
    'c.name': { type: 'string' },
    'c.label': { type: 'string' },
    'c.amount': { type: 'decimal' },
    'c.total': { type: 'decimal' },
    'c.seats': { type: 'integer' },
    'c.markupRatio': { type: 'decimal' },
    'c.sizeMb': { type: 'decimal' },
    'c.closedOn': { type: 'date' },
    'c.closedAt': { type: 'datetime' },
    'c.closedLocal': { type: 'string' },
    'c.closedMs': { type: 'integer' },
    'c.active': { type: 'boolean' },
    'c.status': { type: 'string', enum: ['active', 'cancelled', 'pending'] },
    'c.region': { type: 'string' },
    'c.budget': { type: 'decimal' },
  },
};
