import { INVALID_AUTHORIZATION_DETAILS } from '../../../src/core/authorization-details.js';
import { LabError, badRequest } from '../../errors.js';
import { clientOf, defineCheck } from '../check.js';
import { citing, labEcosystem } from '../../ecosystem.js';
import type { ParExchange } from '../par.js';

/**
 * ECO-02: under an ecosystem preset, the pushed request is one the ecosystem allows: RAR required
 * (the consent travels as authorization_details) or not used, only the types the client
 * registered (UAE), JARM required or not used, and OpenID Connect (scope openid). Each refusal
 * cites the preset's rule and source.
 */
export const parEcosystem = defineCheck<ParExchange>({
  id: 'ECO-02',
  name: 'pushed-request-within-ecosystem',
  spec: 'src/core/ecosystems.ts (the preset rules and their sources)',
  run(s) {
    const eco = labEcosystem(s.ctx.config);
    if (eco.name === 'fapi2') return 'skip';
    const set = eco.settings;
    const details = s.authorizationDetails;
    if (set.rar === 'required' && !details)
      throw badRequest(
        'invalid_request',
        `${eco.name} conveys the user's consent as authorization_details (RFC 9396): send them${citing(eco, 'rar')}`,
        'ECO-02',
      );
    if (set.rar === 'not-used' && details)
      throw badRequest(
        'invalid_request',
        `${eco.name} does not use authorization_details (RFC 9396)${citing(eco, 'rar')}`,
        'ECO-02',
      );
    if (set.rarRegisteredTypes && details && !clientOf(s).client.metadata.authorization_details_types?.length)
      throw new LabError(
        400,
        INVALID_AUTHORIZATION_DETAILS,
        `${eco.name} processes only the authorization details types a client registered (authorization_details_types), and this client registered none${citing(eco, 'rarRegisteredTypes')}`,
        { check: 'ECO-02' },
      );
    if (set.jarm === 'required' && s.responseMode !== 'jwt')
      throw badRequest(
        'invalid_request',
        `${eco.name} requires JARM: send response_mode=jwt${citing(eco, 'jarm')}`,
        'ECO-02',
      );
    if (set.jarm === 'not-used' && s.responseMode === 'jwt')
      throw badRequest(
        'invalid_request',
        `${eco.name} returns authorization responses in the query, without JARM${citing(eco, 'jarm')}`,
        'ECO-02',
      );
    // The request object's lifetime within the ecosystem's limits (KSA, ConnectID), beyond MS-03/04.
    const lim = set.requestObjectLifetime;
    const ro = s.requestObject?.payload;
    if (lim && ro && typeof ro.nbf === 'number' && typeof ro.exp === 'number') {
      if (ro.exp - ro.nbf > lim.maxExpAfterNbf)
        throw new LabError(
          400,
          'invalid_request_object',
          `the request object's exp is ${ro.exp - ro.nbf} s after its nbf; ${eco.name} allows at most ${lim.maxExpAfterNbf} s${citing(eco, 'requestObjectLifetime')}`,
          { check: 'ECO-02' },
        );
      if (s.ctx.now() - ro.nbf > lim.maxNbfAge)
        throw new LabError(
          400,
          'invalid_request_object',
          `the request object's nbf is ${Math.floor(s.ctx.now() - ro.nbf)} s old; ${eco.name} allows at most ${lim.maxNbfAge} s${citing(eco, 'requestObjectLifetime')}`,
          { check: 'ECO-02' },
        );
    }
    if (set.openid && !(s.scope ?? []).includes('openid'))
      throw badRequest(
        'invalid_scope',
        `${eco.name} uses OpenID Connect: the scope must include openid${citing(eco, 'openid')}`,
        'ECO-02',
      );
  },
});
