/**
 * The control API of a running lab, for tests in any language and the `fapi lab fault|relax|
 * fail-next|delay-next|token` commands: the operations of `fapi/lab` (./control.ts) over HTTP, on
 * the authorization server's listener only (never on the mTLS aliases or the RS: 404 there).
 *
 * Every route needs the secret of this lab run (`control_secret` in the 0600 run file) as
 * `Authorization: Bearer <secret>` (RFC 6750 §2.1); without it, or with another, 401 and nothing
 * changes. Every attempt is in the request log (the secret never is). Bad input is a 400 with a
 * JSON error naming the problem (`code` is the FapiError code), and the lab is left unchanged.
 * Reading needs no secret, like the dashboard: `GET /lab/status`, `GET /lab/requests[/ID]`.
 *
 * Bodies and answers use the field names of `fapi/lab` (README "Use the lab in your tests").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isFapiError } from '../src/errors.js';
import { isPlainObject } from '../src/store/validate.js';
import type { LabContext } from './context.js';
import { labControl, switchState } from './control.js';
import { LabError } from './errors.js';
import { sendError, sendJson } from './http.js';
import type { HttpMethod, LabModule, LabRoute } from './module.js';
import type { DelayNextInput, FailNextInput } from './overrides.js';
import type { IssueTokenInput } from './control.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The control secret of the request, checked in constant time; a refusal otherwise (recorded). */
function authorized(req: FastifyRequest, ctx: LabContext): LabError | undefined {
  const auth = req.headers.authorization;
  const challenge = 'Bearer realm="fapi-lab-control"';
  if (typeof auth !== 'string' || !/^bearer /i.test(auth))
    return new LabError(
      401,
      'invalid_request',
      'the control API needs the secret of this lab run: Authorization: Bearer <control_secret of run.json>',
      {
        check: 'LAB-CONTROL',
        headers: { 'www-authenticate': challenge },
      },
    );
  if (!timingSafeEqual(digest(auth.slice(7).trim()), digest(ctx.controlSecret)))
    return new LabError(
      401,
      'invalid_token',
      'this is not the control secret of this lab run (it changes at every start)',
      {
        check: 'LAB-CONTROL',
        headers: { 'www-authenticate': `${challenge}, error="invalid_token"` },
      },
    );
  return undefined;
}

type Op = (body: Record<string, unknown>, params: Record<string, string>, ctx: LabContext) => unknown;

/** A control route: the secret first, then the operation; a FapiError from it is a 400. */
function route(method: HttpMethod, path: string, description: string, op: Op): LabRoute {
  return {
    listener: 'as',
    methods: [method],
    path,
    description,
    async handler(req: FastifyRequest, reply: FastifyReply, ctx: LabContext) {
      const refused = authorized(req, ctx);
      if (refused) return sendError(req, reply, refused);
      const body = req.body === undefined || req.body === null ? {} : req.body;
      if (!isPlainObject(body))
        return sendError(
          req,
          reply,
          new LabError(400, 'invalid_request', 'the body must be a JSON object', { check: 'LAB-CONTROL' }),
        );
      let result: unknown;
      try {
        result = await op(body, req.params as Record<string, string>, ctx);
      } catch (e) {
        if (!isFapiError(e)) throw e;
        req.lab.refusal = { check: 'LAB-CONTROL', error: 'invalid_request', description: e.message };
        return sendJson(reply, 400, {
          error: 'invalid_request',
          error_description: e.message,
          code: e.code,
          ...(e.hint ? { hint: e.hint } : {}),
        });
      }
      req.lab.passed.push('LAB-CONTROL');
      return sendJson(reply, 200, result ?? switchState(ctx));
    },
  };
}

const names = (body: Record<string, unknown>, key: string): string[] => {
  const v = body[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]) as string[];
};

export const controlApiModule: LabModule = {
  name: 'control-api',
  routes: () => [
    route(
      'PUT',
      '/lab/control/faults',
      'control API: replace the active faults ({"faults": [...]})',
      async (b, _p, ctx) => {
        await labControl(ctx).setFaults(names(b, 'faults'));
      },
    ),
    route(
      'PUT',
      '/lab/control/relaxations',
      'control API: replace the active relaxations ({"relaxations": [...]})',
      async (b, _p, ctx) => {
        await labControl(ctx).setRelaxations(names(b, 'relaxations'));
      },
    ),
    route(
      'POST',
      '/lab/control/fail-next',
      'control API: the next requests to an endpoint fail (failNext)',
      (b, _p, ctx) => {
        labControl(ctx).failNext(b as unknown as FailNextInput);
      },
    ),
    route(
      'POST',
      '/lab/control/delay-next',
      'control API: the next requests to an endpoint wait (delayNext)',
      (b, _p, ctx) => {
        labControl(ctx).delayNext(b as unknown as DelayNextInput);
      },
    ),
    route(
      'DELETE',
      '/lab/control/pending',
      'control API: forget every pending failNext and delayNext',
      (_b, _p, ctx) => {
        labControl(ctx).clearPending();
      },
    ),
    route('DELETE', '/lab/control/requests', 'control API: forget the recorded requests', (_b, _p, ctx) => {
      labControl(ctx).clearRequests();
    }),
    route(
      'PUT',
      '/lab/control/users/:sub',
      'control API: add or replace a test user ({"password"?, "claims"?})',
      (b, p, ctx) => {
        ctx.users.add({ ...b, sub: p.sub });
      },
    ),
    route('DELETE', '/lab/control/users/:sub', 'control API: remove a test user', (_b, p, ctx) => {
      ctx.users.remove(p.sub as string);
    }),
    route(
      'PUT',
      '/lab/control/login',
      'control API: with auto-approve, the user logged in from now on ({"sub"})',
      (b, _p, ctx) => {
        ctx.users.login(String(b.sub));
      },
    ),
    route(
      'POST',
      '/lab/control/token',
      'control API: a lab access token for testing a resource server (issueToken)',
      (b, _p, ctx) => labControl(ctx).issueToken(b as unknown as IssueTokenInput),
    ),
  ],
};
