import { describe, expect, it } from 'vitest';
import { flatQuickBooksCustomer, quickBooksCustomerChange } from '../../../src/mappings/quickbooks/customer-mapping.ts';

// A QuickBooks Customer as the API answers it (nested PrimaryEmailAddr and BillAddr, the address with its own Id).
const customer = {
  Id: '58',
  SyncToken: '3',
  DisplayName: 'Contoso Ltd',
  GivenName: 'Megan',
  FamilyName: '',
  PrimaryEmailAddr: { Address: 'ap@contoso.example' },
  BillAddr: { Id: '91', Line1: '12 Harbour Street', City: 'Seattle', CountrySubDivisionCode: 'WA', PostalCode: '98101' },
};

describe('the QuickBooks customer as flat billing values', () => {
  it('reads names, the primary e-mail and each BillAddr line, with unset or empty text as null', () => {
    expect(flatQuickBooksCustomer(customer)).toEqual({
      DisplayName: 'Contoso Ltd',
      GivenName: 'Megan',
      FamilyName: null,
      'PrimaryEmailAddr.Address': 'ap@contoso.example',
      'BillAddr.Line1': '12 Harbour Street',
      'BillAddr.Line2': null,
      'BillAddr.City': 'Seattle',
      'BillAddr.CountrySubDivisionCode': 'WA',
      'BillAddr.PostalCode': '98101',
      'BillAddr.Country': null,
    });
  });

  it('a one-field change sends BillAddr whole (its Id kept) with only that line changed, and the e-mail inside PrimaryEmailAddr', () => {
    expect(quickBooksCustomerChange(customer, 'BillAddr.City', 'Tacoma')).toEqual({ BillAddr: { Id: '91', Line1: '12 Harbour Street', City: 'Tacoma', CountrySubDivisionCode: 'WA', PostalCode: '98101' } });
    expect(quickBooksCustomerChange(customer, 'PrimaryEmailAddr.Address', 'billing@contoso.example')).toEqual({ PrimaryEmailAddr: { Address: 'billing@contoso.example' } });
    expect(quickBooksCustomerChange(customer, 'FamilyName', 'Bowen')).toEqual({ FamilyName: 'Bowen' });
  });
});
