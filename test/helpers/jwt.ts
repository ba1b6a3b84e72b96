/**
 * Decodes a compact JWS (a JWT, a DPoP proof, a client assertion) without verifying it, for tests
 * that look at what fapi or the lab sent. Written apart from src/core/jws.ts on purpose: a test
 * that reads a token with the code under test would share its bugs.
 */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
}
