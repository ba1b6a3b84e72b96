/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592) with FAPI 2.0 metadata rules
 * (catalogue REG-01..13). Registration is open by default; with a registration token configured it
 * needs that initial access token (REG-13). The registration access token is returned once and
 * only its SHA-256 is kept.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Jwk } from '../../src/core/jwk.js';
import { randomToken } from '../../src/core/random.js';
import { isPlainObject } from '../../src/store/validate.js';
import type { LabContext } from '../context.js';
import { LabError, invalidRequest } from '../errors.js';
import { sendJson } from '../http.js';
import type { ClientMetadata, LabClient } from '../model.js';
import type { LabModule } from '../module.js';
import { sha256 } from '../store.js';
import { runChecks, type Check } from './check.js';
import { forgetJwks } from './client-keys.js';
import { regAuthMethod } from './checks/reg-auth-method.js';
import { regClientFlags } from './checks/reg-client-flags.js';
import { regGrantTypes } from './checks/reg-grant-types.js';
import {
  bearerToken,
  invalidToken,
  regInitialAccessToken,
  sameSecret,
} from './checks/reg-initial-access-token.js';
import { regJwks } from './checks/reg-jwks.js';
import { regMessageSigning } from './checks/reg-message-signing.js';
import { regMtlsSubject } from './checks/reg-mtls-subject.js';
import { regRedirectUris } from './checks/reg-redirect-uris.js';
import { regAuthorizationDetailsTypes } from './checks/rar-07-registration.js';
import { regEcosystem } from './checks/eco-01-registration.js';

export interface RegistrationExchange {
  ctx: LabContext;
  req: FastifyRequest;
  reply: FastifyReply;
  /** The JSON body as sent. */
  body: Record<string, unknown>;
  /** The validated metadata being built. */
  metadata: Partial<ClientMetadata>;
  /** Keys fetched from jwks_uri during validation. */
  fetchedKeys?: Jwk[];
}

export const invalidMetadata = (description: string, check?: string) =>
  new LabError(400, 'invalid_client_metadata', description, { check });
export const invalidRedirectUri = (description: string, check?: string) =>
  new LabError(400, 'invalid_redirect_uri', description, { check });

/** An array of strings, or an invalid_client_metadata error naming the field. */
export function stringArray(
  v: unknown,
  field: string,
  fail: (d: string) => LabError = invalidMetadata,
): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw fail(`${field} must be an array of strings`);
  return v as string[];
}

/** The metadata rules, in order (REG-01..07, REG-12). */
export const METADATA_CHECKS: readonly Check<RegistrationExchange>[] = [
  regAuthMethod, // REG-01, REG-02
  regGrantTypes, // REG-03
  regRedirectUris, // REG-04
  regJwks, // REG-05, REG-06, NET-08
  regMtlsSubject, // REG-07
  regClientFlags, // REG-12
  regMessageSigning, // REG-12: request objects (MS-01, MS-05)
  regAuthorizationDetailsTypes, // RAR-07
  regEcosystem, // ECO-01: an ecosystem preset's rules (lab/ecosystem.ts)
];

function bodyObject(req: FastifyRequest): Record<string, unknown> {
  if (!isPlainObject(req.body))
    throw invalidMetadata('the request body must be a JSON object of client metadata (RFC 7591 §3.1)');
  return req.body;
}

/** The registration response: client_id, metadata and the management coordinates (REG-08). */
function clientResponse(ctx: LabContext, client: LabClient, rat?: string): Record<string, unknown> {
  return {
    client_id: client.client_id,
    client_id_issued_at: client.client_id_issued_at,
    ...client.metadata,
    ...(rat ? { registration_access_token: rat } : {}),
    registration_client_uri: `${ctx.urls.issuer}/register/${client.client_id}`,
  };
}

async function validated(
  ctx: LabContext,
  req: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
) {
  const s: RegistrationExchange = { ctx, req, reply, body, metadata: {} };
  await runChecks(s, METADATA_CHECKS);
  return s.metadata as ClientMetadata;
}

async function handleRegister(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const pre: RegistrationExchange = { ctx, req, reply, body: {}, metadata: {} };
  await runChecks(pre, [regInitialAccessToken]);
  const metadata = await validated(ctx, req, reply, bodyObject(req));
  const rat = randomToken(32);
  const now = Math.floor(ctx.now());
  const client: LabClient = {
    version: 1,
    client_id: randomToken(16),
    client_id_issued_at: now,
    registration_access_token_sha256: sha256(rat),
    metadata,
    updated_at: now,
  };
  await ctx.clients.save(client);
  req.lab.clientId = client.client_id;
  req.lab.passed.push('REG-08');
  return sendJson(reply, 201, clientResponse(ctx, client, rat));
}

/** REG-09: the registration access token for this client, or 401 revealing nothing (RFC 7592 §2.1). */
function managedClient(req: FastifyRequest, ctx: LabContext): LabClient {
  const id = (req.params as { clientId?: string }).clientId ?? '';
  const rat = bearerToken(req.headers.authorization);
  const client = ctx.clients.get(id);
  if (!rat || !client || !sameSecret(sha256(rat), client.registration_access_token_sha256))
    throw invalidToken('the registration access token is missing or not valid for this client', 'REG-09');
  req.lab.clientId = client.client_id;
  req.lab.passed.push('REG-09');
  return client;
}

async function handleRead(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const client = managedClient(req, ctx);
  return sendJson(reply, 200, clientResponse(ctx, client));
}

/** REG-10: PUT replaces the whole registration; the body names the same client_id (RFC 7592 §2.2). */
async function handleUpdate(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const client = managedClient(req, ctx);
  const body = { ...bodyObject(req) };
  if (body.client_id !== client.client_id)
    throw invalidRequest("the body must carry this client's client_id (RFC 7592 §2.2)", 'REG-10');
  // RFC 7592 §2.2: these are the server's; ignore them in the request.
  for (const k of [
    'client_id',
    'client_id_issued_at',
    'registration_access_token',
    'registration_client_uri',
    'client_secret',
    'client_secret_expires_at',
  ])
    delete body[k];
  const metadata = await validated(ctx, req, reply, body);
  forgetJwks(ctx, client.metadata.jwks_uri);
  const updated: LabClient = { ...client, metadata, updated_at: Math.floor(ctx.now()) };
  await ctx.clients.save(updated);
  req.lab.passed.push('REG-10');
  return sendJson(reply, 200, clientResponse(ctx, updated));
}

/** REG-11: DELETE ends the client: its RAT, its grants and its tokens (RFC 7592 §2.3). */
async function handleDelete(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
  const client = managedClient(req, ctx);
  ctx.grants.revokeClient(client.client_id, 'client deleted');
  forgetJwks(ctx, client.metadata.jwks_uri);
  await ctx.clients.delete(client.client_id);
  req.lab.passed.push('REG-11');
  return reply.code(204).header('cache-control', 'no-store').send();
}

export const registrationModule: LabModule = {
  name: 'registration',
  routes: () => [
    {
      listener: 'as',
      methods: ['POST'],
      path: '/register',
      endpoint: 'registration',
      metadataName: 'registration_endpoint',
      description: 'dynamic client registration (RFC 7591) with FAPI 2.0 metadata rules',
      handler: handleRegister,
    },
    {
      listener: 'as',
      methods: ['GET', 'PUT', 'DELETE'],
      path: '/register/:clientId',
      endpoint: 'registration',
      description:
        'client configuration endpoint (RFC 7592): read, update, delete with the registration access token',
      handler: (req, reply, ctx) =>
        req.method === 'GET'
          ? handleRead(req, reply, ctx)
          : req.method === 'PUT'
            ? handleUpdate(req, reply, ctx)
            : handleDelete(req, reply, ctx),
    },
  ],
};
