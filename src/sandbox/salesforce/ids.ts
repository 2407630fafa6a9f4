// Salesforce record ids: a 3-character key prefix naming the object, then the record's
// number, 15 case-sensitive characters in all; the REST API returns the 18-character form,
// whose last three characters encode which of the first fifteen are upper case.

const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character id. @example to18('001000000000001') // '001000000000001AAA' */
export function to18(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX.charAt(bits);
  }
  return id15 + suffix;
}

/** A sandbox record id: key prefix (001 Account, 006 Opportunity, 00k OpportunityLineItem…) and a number. */
export function sfId(prefix: string, n: number): string {
  return to18(`${prefix}5g00000${String(n).padStart(5, '0')}`);
}
