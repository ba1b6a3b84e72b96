/**
 * Sender-constrained tokens at the authorization server: the access token is bound to the DPoP
 * key (DP-17: cnf.jkt, token_type DPoP) or to the certificate (MT-05: cnf.x5t#S256; MT-08:
 * token_type Bearer); a code bound with dpop_jkt is redeemed with that key only (DP-18); refresh
 * needs the proof too (DP-19).
 */
import { jwkThumbprint } from '../../core/jwk.js';
import { describe, expectRefused, isSuccess } from '../expect.js';
import { failed, passed, type Check } from '../types.js';
import { defineCheck, SP } from './define.js';
import { otherDpopKey } from './par.js';
import { cnfOf } from './issued.js';

const after = ['PAR-16'] as const;

export const dp17 = defineCheck({
  id: 'DP-17',
  title: 'the access token is bound to the DPoP key: token_type DPoP, cnf.jkt = its thumbprint',
  spec: 'RFC 9449 §5, §6.1, §6.2',
  level: 'MUST',
  group: 'dpop',
  needs: { sender: 'dpop', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const jkt = jwkThumbprint(c.dpopKey!.publicJwk);
    const { cnf, from } = await cnfOf(ctx, c, t.set.access_token);
    if (!cnf) return passed(`token_type ${JSON.stringify(t.body.token_type)}; cnf not visible (${from})`);
    if (cnf.jkt !== jkt)
      return failed(`cnf.jkt in ${from} is ${JSON.stringify(cnf.jkt)}, not the proof key's thumbprint`);
    return passed(
      `token_type ${JSON.stringify(t.body.token_type)}; cnf.jkt in ${from} = the proof key's thumbprint`,
    );
  },
});

export const dp18 = defineCheck({
  id: 'DP-18',
  title: 'a code bound with dpop_jkt is refused with a proof by another key',
  spec: `${SP} §5.3.2.1-12; RFC 9449 §10`,
  level: 'MUST',
  group: 'dpop',
  needs: { sender: 'dpop', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l, { dpop: { key: await otherDpopKey() } });
    return expectRefused('PAR with dpop_jkt of key K1, token request proof by key K2', sent, {
      errors: ['invalid_grant', 'invalid_dpop_proof', 'invalid_request'],
    });
  },
});

export const dp18NoProof = defineCheck({
  id: 'DP-18.no-proof',
  title: 'a code bound with dpop_jkt is refused without a proof',
  spec: `${SP} §5.3.2.1-12; RFC 9449 §10`,
  level: 'MUST',
  group: 'dpop',
  needs: { sender: 'dpop', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    return expectRefused(
      'PAR with dpop_jkt, token request without a proof',
      await ctx.redeem(c, l, { dpop: false }),
      {
        errors: ['invalid_grant', 'invalid_dpop_proof', 'invalid_request'],
      },
    );
  },
});

export const mt05 = defineCheck({
  id: 'MT-05',
  title: 'the access token is bound to the certificate: cnf.x5t#S256 = its thumbprint',
  spec: 'RFC 8705 §3.1, §3.2',
  level: 'MUST',
  group: 'token',
  needs: { sender: 'mtls', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const t = await ctx.tokens(c);
    const { cnf, from } = await cnfOf(ctx, c, t.set.access_token);
    if (!cnf) return failed(`no cnf.x5t#S256 visible: ${from}`);
    const x5t = cnf['x5t#S256'];
    if (x5t !== c.certificate?.x5t)
      return failed(
        `cnf.x5t#S256 in ${from} is ${JSON.stringify(x5t)}, not base64url(SHA-256(DER)) of the client certificate`,
      );
    return passed(`cnf.x5t#S256 in ${from} = the client certificate's thumbprint`);
  },
});

export const mt08 = defineCheck({
  id: 'MT-08',
  title: 'certificate-bound tokens have token_type Bearer',
  spec: 'RFC 8705 §3; RFC 6750 §2.1',
  level: 'MUST',
  group: 'token',
  needs: { sender: 'mtls', logins: 1, after },
  async run(ctx) {
    const c = await ctx.client(1);
    const l = await ctx.login(c);
    const sent = await ctx.redeem(c, l);
    if (!isSuccess(sent)) return failed(`token request → ${describe(sent)}`);
    const type = (sent.response!.json() as Record<string, unknown>).token_type;
    if (typeof type !== 'string' || type.toLowerCase() !== 'bearer')
      return failed(`token_type ${JSON.stringify(type)}, expected Bearer`);
    return passed(`token_type ${JSON.stringify(type)}`);
  },
});

export const BINDING_CHECKS: readonly Check[] = [dp17, dp18, dp18NoProof, mt05, mt08];
