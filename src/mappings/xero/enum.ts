/**
 * A xero-node enum member by its name, without loading xero-node (src/lazy-import.ts):
 * the SDK's enums hold each member's name as its string value at run time, though its
 * typings declare them numeric. The name is checked against the enum's members.
 * @example xeroEnum<typeof Invoice.StatusEnum>('VOIDED') // 'VOIDED', typed Invoice.StatusEnum
 */
export function xeroEnum<E extends Record<string, string | number>>(name: keyof E & string): E[keyof E] {
  return name as unknown as E[keyof E];
}
