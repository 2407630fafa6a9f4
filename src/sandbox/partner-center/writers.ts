/** The line writers the routes and exports share, one per payload format. */
import {
  LICENSE_LINE_API_ITEM_TYPE,
  LICENSE_LINE_API_OBJECT_TYPE,
  LICENSE_LINE_FIELDS,
  USAGE_LINE_API_ITEM_TYPE,
  USAGE_LINE_API_OBJECT_TYPE,
  USAGE_LINE_FIELDS,
} from '../../mappings/partner-center/fields.ts';
import { LineWriter, type LineFormat } from './line-writer.ts';

function usageWriter(format: LineFormat): LineWriter {
  return new LineWriter({ fields: USAGE_LINE_FIELDS, format, apiItemType: USAGE_LINE_API_ITEM_TYPE, apiObjectType: USAGE_LINE_API_OBJECT_TYPE });
}

function licenseWriter(format: LineFormat): LineWriter {
  return new LineWriter({ fields: LICENSE_LINE_FIELDS, format, apiItemType: LICENSE_LINE_API_ITEM_TYPE, apiObjectType: LICENSE_LINE_API_OBJECT_TYPE });
}

export const WRITERS = {
  usageApi: usageWriter('api'),
  usageBlobFull: usageWriter('blob-full'),
  usageBlobBasic: usageWriter('blob-basic'),
  licenseApi: licenseWriter('api'),
  licenseBlob: licenseWriter('blob-full'),
} as const;

/** Scope instant for closed invoices: everything is published by then. */
export const BILLED_AS_OF = Number.MAX_SAFE_INTEGER;
