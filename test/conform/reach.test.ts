/**
 * Whom a run talks to and what its clients ask for, seen from the wire (a recording HTTP layer in
 * front of the in-process lab): `--scope` is the scope of every pushed authorization request, and
 * a URL from an answer on a third party's origin (an RFC 7592 registration_client_uri) is never
 * contacted; the failing check and the client left registered say why. The whole strict run's
 * origins are asserted in ./strict-lab.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { conformLab, formOf, jsonAnswer, label, lines, type Interpose } from './helpers.js';
import type { HttpRequest } from '../../src/http/client.js';

/** The requests that reach the HTTP layer: "METHOD URL [label]", and the PAR forms. */
function recorder(): { seen: HttpRequest[]; interpose: Interpose } {
  const seen: HttpRequest[] = [];
  return {
    seen,
    interpose: (req) => {
      seen.push(req);
      return undefined;
    },
  };
}

const isPar = (req: HttpRequest) => req.method === 'POST' && new URL(req.url).pathname === '/par';

describe('--scope S: the test clients ask for S', () => {
  it('every pushed authorization request of the run carries scope=S (not the scopes_supported default)', async () => {
    const r = recorder();
    const { report } = await conformLab(
      {},
      {
        only: ['PAR-16', 'RS-01', 'TK-04'],
        skip: ['RS-01.scheme-case'],
        auth: ['private_key_jwt'],
        sender: ['dpop'],
        scope: 'openid accounts',
        interpose: r.interpose,
      },
    );
    expect(lines(report.results).sort()).toEqual([
      expect.stringMatching(/^PAR-16 \[private_key_jwt\+dpop\] passed: /),
      expect.stringMatching(/^RS-01 \[private_key_jwt\+dpop\] passed: GET with a DPoP token → 200$/),
      expect.stringMatching(/^TK-04 \[private_key_jwt\+dpop\] passed: /),
    ]);
    const pars = r.seen.filter(isPar);
    // The checks' logins and their baseline (PAR-01, run though not selected).
    expect(new Set(pars.map((p) => p.label?.split(' ')[0]))).toEqual(
      new Set(['PAR-01', 'PAR-16', 'RS-01', 'TK-04']),
    );
    expect(new Set(pars.map((p) => formOf(p).get('scope')))).toEqual(new Set(['openid accounts']));
  }, 60_000);
});

describe('a URL from an answer on another origin is never contacted', () => {
  const THIRD = 'https://clients.third-party.invalid';

  it('a registration_client_uri on a third party: REG-09 fails saying it was not sent, the clients are left registered saying why', async () => {
    const r = recorder();
    // The lab answers registrations with a registration_client_uri on a third party's origin.
    const interpose: Interpose = async (req, send) => {
      r.seen.push(req);
      if (req.method !== 'POST' || new URL(req.url).pathname !== '/register') return send(req);
      const res = await send(req);
      if (res.status !== 201) return res;
      const body = res.json() as Record<string, unknown>;
      return jsonAnswer(req, 201, {
        ...body,
        registration_client_uri: `${THIRD}/register/${String(body.client_id)}`,
      });
    };
    const { report } = await conformLab(
      {},
      { only: ['REG-09', 'PAR-16'], auth: ['private_key_jwt'], sender: ['dpop'], interpose },
    );
    expect(r.seen.filter((q) => q.url.startsWith(THIRD))).toEqual([]);
    expect(r.seen.filter((q) => q.method === 'POST' && q.url.endsWith('/register')).length).toBe(3);
    const reg09 = report.results.find((x) => x.id === 'REG-09');
    expect(reg09?.result).toBe('failed');
    expect(reg09?.detail).toMatch(
      new RegExp(
        `^GET the client with its token → no HTTP answer \\(GET ${THIRD.replaceAll('.', '\\.')}/register/\\S+ not sent: ${THIRD.replaceAll('.', '\\.')} is neither the issuer's, nor an endpoint's of its metadata, nor an --rs URL's \\(fapi conform server talks to those only\\)\\), expected 200$`,
      ),
    );
    expect(report.results.find((x) => x.id === 'PAR-16')?.result).toBe('passed');
    // Nothing deleted: the clients (REG-09's own and the pass's two) stay, each with the reason.
    expect(report.clients.deleted).toBe(0);
    expect(report.clients.left.length).toBe(3);
    for (const l of report.clients.left) expect(l.reason).toContain(`not sent: ${THIRD} is neither`);
    expect(report.results.map((x) => label(x.variant))).toEqual(['server', 'private_key_jwt+dpop']);
  }, 60_000);
});
