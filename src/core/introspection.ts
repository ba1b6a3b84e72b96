/**
 * Token introspection (RFC 7662) with client authentication (private_key_jwt or mTLS at the alias,
 * RFC 8705 §5). No DPoP proof: introspection is not a protected-resource request.
 */
import { conformanceError } from '../errors.js';
import { type Client, type Exchange, jsonObject, responseError } from './client.js';
import { INTROSPECTION_JWT_MEDIA_TYPE } from './introspection-jwt.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/**
 * Sends the introspection request (RFC 7662 §2.1); `signed` asks for a signed JWT answer with
 * `Accept: application/token-introspection+jwt` (RFC 9701 §4; MS-11, ./introspection-jwt.ts).
 */
export function introspectToken(
  client: Client,
  token: string,
  hint?: TokenTypeHint,
  o: { signed?: boolean } = {},
): Promise<Exchange> {
  return client.sendToAs({
    step: 'introspection',
    endpoint: 'introspection_endpoint',
    form: { token, token_type_hint: hint },
    dpop: false,
    ...(o.signed ? { accept: INTROSPECTION_JWT_MEDIA_TYPE } : {}),
  });
}

export interface IntrospectionResult {
  active: boolean;
  [claim: string]: unknown;
}

/** RFC 7662 §2.2: 200 with a JSON object whose `active` is a boolean. */
export function processIntrospectionResponse(exchange: Exchange, client: Client): IntrospectionResult {
  if (exchange.response.status !== 200) throw responseError(exchange, client.hintContext());
  const body = jsonObject(exchange);
  if (typeof body.active !== 'boolean')
    throw conformanceError(
      'E_INTROSPECTION_NO_ACTIVE',
      `The introspection response from ${exchange.url} has no boolean "active".`,
      'The server broke RFC 7662 §2.2.',
    );
  return body as IntrospectionResult;
}
