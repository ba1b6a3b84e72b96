/**
 * What the run's clients ask for, seen from the wire (a recording HTTP layer in front of the
 * in-process lab): `--scope` is the scope of every pushed authorization request.
 */
import { describe, expect, it } from 'vitest';
import { conformLab, formOf, lines, type Interpose } from './helpers.js';
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
