/**
 * `--authorization-details JSON|@FILE|@-` (RFC 9396) for `fapi login`, `fapi token
 * client-credentials` and `fapi token refresh`: read and shape-checked before anything is sent
 * (exit 2 naming the problem); the types are checked against the server's
 * `authorization_details_types_supported` once its metadata is known (src/core/authorization-details.ts).
 */
import {
  describeDetail,
  parseRequestedDetails,
  type AuthorizationDetail,
} from '../core/authorization-details.js';
import { readAtArgument } from './at-file.js';

export const DETAILS_FLAG = '--authorization-details';

export async function readRequestedDetails(
  value: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<AuthorizationDetail[] | undefined> {
  if (value === undefined) return undefined;
  const text = await readAtArgument(value, {
    flag: DETAILS_FLAG,
    code: 'E_AUTHORIZATION_DETAILS_FILE',
    stdin,
  });
  return parseRequestedDetails(text, DETAILS_FLAG);
}

/** The granted details in words, one line each (what the user consented to). */
export function detailLines(details: readonly AuthorizationDetail[] | undefined): string[] {
  return (details ?? []).map((d, i) => `${i === 0 ? 'authorized  ' : '            '} ${describeDetail(d)}`);
}

/** The types of some details, for a step's one-line summary. */
export function detailTypes(details: readonly AuthorizationDetail[]): string {
  const counts = new Map<string, number>();
  for (const d of details) counts.set(d.type, (counts.get(d.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n > 1 ? `${n}× ${t}` : t)).join(', ');
}
