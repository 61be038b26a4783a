// The one internal helper of mailauth used here (mailauth@4.13.3 ships no types for lib/tools):
// DMARC's identifier alignment, by organisational domain unless `strict`.
declare module 'mailauth/lib/tools' {
  export function getAlignment(fromDomain: string, domainList: Array<string | { domain: string }>, strict?: boolean): { domain: string } | false;
}
