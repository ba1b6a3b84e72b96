/**
 * The ceiling of the lab's HTTP stack for `npm run bench`: fastify on node:https, with the lab's
 * TLS settings, whose token endpoint does only the signature work of a token request — decode and
 * verify the client assertion and the DPoP proof (keys imported once), sign an access token,
 * answer JSON — and none of the checks, state or bookkeeping of a real authorization server. What
 * separates the lab from this is the cost of being an AS; what separates this from the crypto
 * bound is the cost of HTTP and TLS on this machine.
 *
 * Usage: node dist/bench/ceiling.js SPEC.json — SPEC has the client's and the DPoP key's public
 * JWKs. Prints one JSON line when ready ({tokenEndpoint, ca, pid}), then serves until SIGTERM or
 * until its parent exits.
 */
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type fastifyDefault from 'fastify';
import { importPublicJwk, type Jwk } from '../src/core/jwk.js';
import { decodeJws, signJws, verifyJwsSignature } from '../src/core/jws.js';
import { FAPI_CIPHERS } from '../src/http/client.js';
import { selfSignedIdentity } from './tls.js';

export interface CeilingSpec {
  authJwk: Jwk;
  dpopJwk: Jwk;
}

export interface CeilingReady {
  tokenEndpoint: string;
  ca: string;
  pid: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as CeilingSpec;
  const authKey = importPublicJwk(spec.authJwk);
  const dpopKey = importPublicJwk(spec.dpopJwk);
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const tls = await selfSignedIdentity();
  const Fastify = createRequire(import.meta.url)('fastify') as typeof fastifyDefault;
  const app = Fastify({
    https: {
      key: tls.key,
      cert: tls.cert,
      minVersion: 'TLSv1.2',
      ciphers: FAPI_CIPHERS,
      honorCipherOrder: true,
    },
    logger: false,
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) =>
      done(null, new URLSearchParams(String(body))),
  );
  let n = 0;
  app.post('/token', (req, reply) => {
    const form = req.body as URLSearchParams;
    const assertion = decodeJws(form.get('client_assertion') ?? '');
    const proof = decodeJws(String(req.headers.dpop ?? ''));
    if (!verifyJwsSignature(assertion, 'ES256', authKey) || !verifyJwsSignature(proof, 'ES256', dpopKey))
      return reply.code(401).type('application/json').send('{"error":"invalid_client"}');
    const now = Math.floor(Date.now() / 1000);
    const at = signJws(
      { typ: 'at+jwt', kid: 'ceiling' },
      {
        iss: 'https://127.0.0.1',
        sub: assertion.payload.sub,
        aud: 'https://127.0.0.1/rs',
        client_id: assertion.payload.sub,
        iat: now,
        exp: now + 300,
        jti: `${process.pid}-${n++}`,
        scope: form.get('scope') ?? '',
        cnf: { jkt: 'ceiling' },
      },
      signing,
      'ES256',
    );
    return reply
      .header('cache-control', 'no-store')
      .type('application/json')
      .send(JSON.stringify({ access_token: at, token_type: 'DPoP', expires_in: 300 }));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const ready: CeilingReady = {
    tokenEndpoint: `https://127.0.0.1:${port}/token`,
    ca: tls.cert,
    pid: process.pid,
  };
  process.stdout.write(JSON.stringify(ready) + '\n');
  const stop = () => void app.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  // Stop with the parent (stdin closes when the bench exits, however it exits).
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((e: unknown) => {
  process.stderr.write(`ceiling server failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
