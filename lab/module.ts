/**
 * How features plug into the lab: a LabModule contributes routes (and discovery metadata). The
 * server registers every module of lab/modules.ts; a new feature is a new file plus one line in
 * that table.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LabContext } from './context.js';
import type { LabEndpoint } from './overrides.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface LabRoute {
  /** Which server serves it: the authorization server or the resource server. */
  listener: 'as' | 'rs';
  /**
   * Also served on the mTLS listener (RFC 8705 §5 `mtls_endpoint_aliases`): for endpoints where
   * clients authenticate or bind tokens with a certificate.
   */
  mtlsAlias?: boolean;
  methods: HttpMethod[];
  /** Fastify path, e.g. `/register/:clientId`. */
  path: string;
  /**
   * The discovery metadata name of this endpoint (e.g. `token_endpoint`): advertised as
   * issuer + path, and under `mtls_endpoint_aliases` when mtlsAlias is set.
   */
  metadataName?: string;
  /** A browser-facing page (the authorization endpoint, the login page, the dashboard). */
  browser?: boolean;
  /** Not recorded in the request log (the dashboard's own pages). */
  quiet?: boolean;
  /** The endpoint's name for `failNext` / `delayNext` (./overrides.ts), when a test may make it fail. */
  endpoint?: LabEndpoint;
  /**
   * The handler applies the endpoint's `failNext` itself (the authorization endpoint: once the
   * request is valid, as an error redirect); the platform still applies `delayNext`.
   */
  failsItself?: boolean;
  /**
   * The route's body limit in bytes, when not the lab's `bodyLimit` (the PAR endpoint: a larger
   * one, so its length checks answer oversized parameters; lab/config.ts parBodyLimit).
   */
  bodyLimit?: number;
  /** One line for the dashboard. */
  description: string;
  handler(req: FastifyRequest, reply: FastifyReply, ctx: LabContext): Promise<unknown> | unknown;
}

export interface LabModule {
  name: string;
  routes(ctx: LabContext): LabRoute[];
  /** Extra discovery metadata (e.g. `introspection_endpoint_auth_methods_supported`). */
  metadata?(ctx: LabContext): Record<string, unknown>;
}
