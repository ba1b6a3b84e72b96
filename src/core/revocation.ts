/**
 * Token revocation (RFC 7009) with client authentication. RFC 7009 §2.2: the server answers 200
 * also for a token that is already invalid, so a 200 is success.
 */
import { type Client, type Exchange, responseError } from './client.js';
import type { TokenTypeHint } from './introspection.js';

export function revokeToken(client: Client, token: string, hint?: TokenTypeHint): Promise<Exchange> {
  return client.sendToAs({
    step: 'revocation',
    endpoint: 'revocation_endpoint',
    form: { token, token_type_hint: hint },
    dpop: false,
  });
}

export function processRevocationResponse(exchange: Exchange, client: Client): void {
  if (exchange.response.status !== 200) throw responseError(exchange, client.hintContext());
}
