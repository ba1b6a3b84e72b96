/**
 * Rich Authorization Requests (RFC 9396), when the server advertises the payment detail's type
 * (`payment_initiation` by default) in `authorization_details_types_supported` (§10). Named by the
 * lab's RAR-* IDs (README "Payments with Rich Authorization Requests"):
 *
 * - at the authorization server: an unknown type (RAR-02) and a detail without a field its type
 *   requires (RAR-03) refused at PAR with `invalid_authorization_details` (§5); the token response
 *   carries the consented details (RAR-05, §7), also after a refresh; a refresh cannot widen them
 *   (RAR-06, §6, §6.1);
 * - at the resource server of `--rs-payment` (a resource that executes a payment on POST): the
 *   payment a token's detail covers is executed (RAR-08, the baseline); a token whose details do
 *   not cover it, with the scope only or with a detail for another amount, is refused (RAR-08.*);
 *   the same payment again with the same token is refused (RAR-09). These make real payments.
 *
 * The payment and its detail are `--payment FILE`'s, or the lab's open-banking shape (../payment.ts),
 * as `fapi lab attack payment-overreach` builds them (paymentInitiationBody, one implementation).
 */
import {
  canonicalJson,
  detailForOtherAmount,
  detailsOfClaim,
  INSUFFICIENT_AUTHORIZATION_DETAILS,
  INVALID_AUTHORIZATION_DETAILS,
  type AuthorizationDetail,
} from '../../core/authorization-details.js';
import type { CheckContext, Sent, Tokens } from '../context.js';
import { clip as clipTo, describe, errorOf, expectRefused, isSuccess, statusOf } from '../expect.js';
import type { TestClient } from '../parties.js';
import { paymentLabel } from '../payment.js';
import { failed, passed, Skip, warning, type Check, type Outcome } from '../types.js';
import { defineCheck } from './define.js';

const RAR = 'RFC 9396';
/** A type no server supports. */
const UNKNOWN_TYPE = 'urn:fapi:conform:unknown-type';

const detailsParam = (details: readonly AuthorizationDetail[]) => ({
  authorization_details: JSON.stringify(details),
});

/** Tokens for client 1 after the user consented to `details` (none: scope only). */
function tokensFor(ctx: CheckContext, c: TestClient, details?: readonly AuthorizationDetail[]) {
  return ctx.tokens(c, details ? { par: detailsParam(details) } : {});
}

/** The detail for another (twice the) amount, or Skip when the payment detail has no amount. */
function otherAmount(ctx: CheckContext): AuthorizationDetail {
  const d = detailForOtherAmount(ctx.env.payment.detail);
  if (!d)
    throw new Skip(
      `the payment detail has no decimal instructedAmount.amount to change (${ctx.env.payment.detail.type})`,
    );
  return d;
}

/** `a` holds every member of `b` with the same value (objects compared member by member). */
function holds(a: unknown, b: unknown): boolean {
  if (typeof b === 'object' && b !== null && !Array.isArray(b)) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return false;
    const x = a as Record<string, unknown>;
    return Object.entries(b).every(([k, v]) => holds(x[k], v));
  }
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Why the details of a token response are not the consented ones (undefined when they are): each
 * consented detail is there, and each one there is a consented one, possibly enriched with members
 * of its own (RFC 9396 §7.1) but never another or a wider one.
 */
function notAsConsented(body: Record<string, unknown>, consented: readonly AuthorizationDetail[]) {
  if (body.authorization_details === undefined) return 'no authorization_details (RFC 9396 §7 requires them)';
  const got = detailsOfClaim(body.authorization_details);
  if (!got)
    return `authorization_details ${clip(JSON.stringify(body.authorization_details))} is not a list of typed objects`;
  const missing = consented.find((d) => !got.some((g) => holds(g, d)));
  if (missing)
    return `authorization_details ${clip(JSON.stringify(got))} lack the consented ${clip(JSON.stringify(missing))}`;
  const extra = got.find((g) => !consented.some((d) => holds(g, d)));
  if (extra) return `authorization_details hold ${clip(JSON.stringify(extra))}, which was not consented`;
  if (got.length > consented.length)
    return `${got.length} authorization_details for ${consented.length} consented: one payment became several`;
  return undefined;
}

const clip = (s: string) => clipTo(s, 120);

function jsonOf(sent: Sent): Record<string, unknown> {
  try {
    const v = sent.response?.json();
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Tokens after consent to the payment detail, with a refresh token (Skip without one). */
async function withRefresh(ctx: CheckContext, c: TestClient): Promise<Tokens & { refreshToken: string }> {
  const t = await tokensFor(ctx, c, [ctx.env.payment.detail]);
  if (!t.set.refresh_token)
    throw new Skip(
      `the server issued no refresh token for scope "${ctx.scope}" (add offline_access with --scope, if it needs it)`,
    );
  return { ...t, refreshToken: t.set.refresh_token };
}

const atPar = { rar: true, after: ['PAR-01'] } as const;

export const rar02 = defineCheck({
  id: 'RAR-02',
  title: 'an unknown authorization_details type at PAR is refused: 400 invalid_authorization_details',
  spec: `${RAR} §5, §10`,
  level: 'MUST',
  group: 'rar',
  needs: atPar,
  async run(ctx) {
    const c = await ctx.client(1);
    const sent = await ctx.par(c, { par: detailsParam([{ type: UNKNOWN_TYPE }]) });
    return expectRefused(`PAR with authorization_details [{"type": "${UNKNOWN_TYPE}"}]`, sent, {
      status: [400],
      errors: [INVALID_AUTHORIZATION_DETAILS],
    });
  },
});

export const rar03 = defineCheck({
  id: 'RAR-03',
  title:
    'a detail without a field its type requires (instructedAmount) is refused: 400 invalid_authorization_details',
  spec: `${RAR} §5`,
  level: 'MUST',
  group: 'rar',
  needs: atPar,
  async run(ctx) {
    const { instructedAmount, ...rest } = ctx.env.payment.detail;
    if (instructedAmount === undefined)
      throw new Skip(`the payment detail (${rest.type}) has no instructedAmount to leave out`);
    const c = await ctx.client(1);
    // The same PAR with the whole detail first: a refusal counts only when that one is accepted.
    const whole = await ctx.par(c, { par: detailsParam([ctx.env.payment.detail]) });
    if (statusOf(whole) !== 201)
      throw new Skip(
        `the whole ${rest.type} detail is refused at PAR too (${describe(whole)}), so a refusal would show nothing: RAR-05 says more`,
      );
    const sent = await ctx.par(c, { par: detailsParam([rest as AuthorizationDetail]) });
    return expectRefused(`PAR with the ${rest.type} detail (accepted: 201) without instructedAmount`, sent, {
      status: [400],
      errors: [INVALID_AUTHORIZATION_DETAILS],
    });
  },
});

export const rar05 = defineCheck({
  id: 'RAR-05',
  title: 'the token response carries the consented authorization_details',
  spec: `${RAR} §7, §7.1`,
  level: 'MUST',
  group: 'rar',
  needs: { rar: true, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const d = ctx.env.payment.detail;
    const t = await tokensFor(ctx, await ctx.client(1), [d]);
    const why = notAsConsented(t.body, [d]);
    if (why) return failed(`consent to ${paymentLabel(d)}, token response: ${why}`);
    return passed(`consent to ${paymentLabel(d)} → token response with those authorization_details`);
  },
});

export const rar05Refresh = defineCheck({
  id: 'RAR-05.refresh',
  title: 'a refreshed token carries the consented authorization_details, no wider',
  spec: `${RAR} §6, §7`,
  level: 'MUST',
  group: 'rar',
  needs: { rar: true, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const d = ctx.env.payment.detail;
    const t = await withRefresh(ctx, c);
    const sent = await ctx.refresh(c, t.refreshToken);
    if (!isSuccess(sent)) return failed(`refresh → ${describe(sent)}, expected 200`);
    const why = notAsConsented(jsonOf(sent), [d]);
    if (why) return failed(`consent to ${paymentLabel(d)}, then refresh: ${why}`);
    return passed(`consent to ${paymentLabel(d)}, refresh → 200 with the same authorization_details`);
  },
});

export const rar06 = defineCheck({
  id: 'RAR-06',
  title:
    'a refresh asking for wider authorization_details (a larger amount) is refused: 400 invalid_authorization_details',
  spec: `${RAR} §6, §6.1`,
  level: 'MUST',
  group: 'rar',
  needs: { rar: true, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const d = ctx.env.payment.detail;
    const wider = otherAmount(ctx);
    const t = await withRefresh(ctx, c);
    const what = `consent to ${paymentLabel(d)}, refresh with authorization_details for ${paymentLabel(wider)}`;
    const sent = await ctx.refresh(c, t.refreshToken, { form: detailsParam([wider]) });
    if (!isSuccess(sent))
      return expectRefused(what, sent, { status: [400], errors: [INVALID_AUTHORIZATION_DETAILS] });
    // Issued all the same: widened, or the parameter ignored (the token keeps the grant's details).
    const body = jsonOf(sent);
    const got = detailsOfClaim(body.authorization_details) ?? [];
    if (got.some((g) => holds(g, wider)))
      return failed(`${what} → ${describe(sent)} with the wider detail: the grant was widened`);
    const why = notAsConsented(body, [d]);
    if (why) return failed(`${what} → ${describe(sent)}: ${why}`);
    return warning(
      `${what} → ${describe(sent)} with the granted details: the parameter was ignored, not refused (RFC 9396 §6 asks for ${INVALID_AUTHORIZATION_DETAILS})`,
    );
  },
});

// ── at the resource server (--rs-payment): real payments ──────────────────────

/** A payment the token does not cover: any 4xx refusal holds; a 2xx means the payment was made. */
function refusedPayment(what: string, sent: Sent): Outcome {
  if (isSuccess(sent)) return failed(`${what} → ${describe(sent)}: the payment was executed`);
  const o = expectRefused(what, sent);
  // RFC 9396 leaves the RS's error open; 403 insufficient_authorization_details is the lab's, after
  // RFC 6750 §3.1's insufficient_scope: another 4xx is a refusal all the same.
  if (
    o.result !== 'passed' ||
    (statusOf(sent) === 403 && errorOf(sent) === INSUFFICIENT_AUTHORIZATION_DETAILS)
  )
    return o;
  return passed(`${o.detail} (refused; 403 ${INSUFFICIENT_AUTHORIZATION_DETAILS} would say why)`);
}

const atRs = (executed: number, sent = 1) =>
  ({ rar: true, payments: { sent, executed }, logins: 1, after: ['PAR-16', 'RAR-08'] }) as const;

export const rar08 = defineCheck({
  id: 'RAR-08',
  title: "the payment the token's authorization detail covers is executed (2xx)",
  spec: `${RAR} §9`,
  level: 'MUST',
  group: 'rar',
  needs: { rar: true, payments: { sent: 1, executed: 1 }, logins: 1, after: ['PAR-16'] },
  async run(ctx) {
    const c = await ctx.client(1);
    const d = ctx.env.payment.detail;
    const t = await tokensFor(ctx, c, [d]);
    const sent = await ctx.pay(c, ctx.token(t));
    const what = `POST ${ctx.env.payment.url} (${paymentLabel(d)}) with a token for that payment`;
    return isSuccess(sent)
      ? passed(`${what} → ${describe(sent)}`)
      : failed(`${what} → ${describe(sent)}, expected 2xx (the baseline of RAR-08 and RAR-09)`);
  },
});

export const rar08ScopeOnly = defineCheck({
  id: 'RAR-08.scope-only',
  title: 'a payment with a token that has the scope but no authorization_details is refused',
  spec: `${RAR} §3.1, §9`,
  level: 'MUST',
  group: 'rar',
  needs: atRs(0),
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await tokensFor(ctx, c);
    return refusedPayment(
      `POST ${ctx.env.payment.url} (${paymentLabel(ctx.env.payment.detail)}) with a token for scope "${t.set.scope ?? ctx.scope}" and no authorization_details`,
      await ctx.pay(c, ctx.token(t)),
    );
  },
});

export const rar08OtherAmount = defineCheck({
  id: 'RAR-08.other-amount',
  title: 'a payment with a token whose authorization detail is for another amount is refused',
  spec: `${RAR} §9`,
  level: 'MUST',
  group: 'rar',
  needs: atRs(0),
  async run(ctx) {
    const c = await ctx.client(1);
    const other = otherAmount(ctx);
    const t = await tokensFor(ctx, c, [other]);
    return refusedPayment(
      `POST ${ctx.env.payment.url} (${paymentLabel(ctx.env.payment.detail)}) with a token for ${paymentLabel(other)}`,
      await ctx.pay(c, ctx.token(t)),
    );
  },
});

export const rar09 = defineCheck({
  id: 'RAR-09',
  title: 'the same payment again with the same token is refused (a detail pays once)',
  spec: `${RAR} §9`,
  level: 'MUST',
  group: 'rar',
  needs: atRs(1, 2),
  async run(ctx) {
    const c = await ctx.client(1);
    const d = ctx.env.payment.detail;
    const t = await tokensFor(ctx, c, [d]);
    const first = await ctx.pay(c, ctx.token(t));
    if (!isSuccess(first))
      return failed(
        `POST ${ctx.env.payment.url} (${paymentLabel(d)}), the first time → ${describe(first)}, expected 2xx`,
      );
    return refusedPayment(
      `${paymentLabel(d)} paid (${statusOf(first)}); the same payment again with the same token (a new idempotency key)`,
      await ctx.pay(c, ctx.token(t)),
    );
  },
});

export const RAR_CHECKS: readonly Check[] = [
  rar02,
  rar03,
  rar05,
  rar05Refresh,
  rar06,
  rar08,
  rar08ScopeOnly,
  rar08OtherAmount,
  rar09,
];
