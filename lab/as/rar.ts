/**
 * Rich Authorization Requests (RFC 9396) in the lab: the types it supports, from the JSON Schema
 * shipped in templates/ (compiled once, on first use), its limits, the discovery metadata
 * (RFC 9396 §10) and the OAuth error (§5). The rules themselves are src/core/authorization-details.ts,
 * run by the checks lab/as/checks/rar-*.ts.
 */
import {
  AuthorizationDetailsError,
  DEFAULT_DETAIL_LIMITS,
  INVALID_AUTHORIZATION_DETAILS,
  type DetailLimits,
  type DetailSchema,
} from '../../src/core/authorization-details.js';
import { loadAuthorizationDetailsSchema } from '../../src/store/templates.js';
import { LabError } from '../errors.js';
import type { LabModule } from '../module.js';

export interface LabRar {
  schema: DetailSchema;
  /** `authorization_details_types_supported` (RFC 9396 §10). */
  types: readonly string[];
  limits: DetailLimits;
}

let rar: LabRar | undefined;

/** The lab's authorization details types and limits (the schema is read and compiled once). */
export function labRar(): LabRar {
  if (rar) return rar;
  const schema = loadAuthorizationDetailsSchema();
  rar = { schema, types: schema.types, limits: { ...DEFAULT_DETAIL_LIMITS, maxDetails: schema.maxDetails } };
  return rar;
}

/** RFC 9396 §5, §8: 400 invalid_authorization_details, naming the rule that refused. */
export function rarRefusal(e: AuthorizationDetailsError): LabError {
  return new LabError(400, INVALID_AUTHORIZATION_DETAILS, e.message, { check: e.check });
}

/** Runs a core rule; its refusal becomes the lab's OAuth error. */
export function rarRule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AuthorizationDetailsError) throw rarRefusal(e);
    throw e;
  }
}

export const rarModule: LabModule = {
  name: 'rich-authorization-requests',
  routes: () => [],
  // RFC 9396 §10: the types this server supports.
  metadata: () => ({ authorization_details_types_supported: [...labRar().types] }),
};
