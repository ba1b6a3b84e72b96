/** CL-19 in the CLI layer: rotation stored, the old refresh token kept, one retry after a transport failure. */
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/cli/context.js';
import { refreshAndSave, type Session } from '../../../src/cli/session.js';
import { networkError } from '../../../src/errors.js';
import { PROFILE_VERSION, type StoredTokens } from '../../../src/store/profile.js';
import { tempHome } from '../../helpers/cli.js';
import { ISSUER, fakeClient, metadata, type Handler } from '../../helpers/fake-http.js';

const home = tempHome('fapi-refresh-');
afterAll(() => home.cleanup());

async function setup(handler: Handler) {
  const { f, c: client } = fakeClient({ clientId: 'c1' });
  f.on('POST', `${ISSUER}/token`, handler);
  const ctx = await createContext({ home: home.dir, json: true }, {});
  const s = {
    profile: { version: PROFILE_VERSION, name: 'p', created_at: '', updated_at: '' },
    issuer: ISSUER,
    clientId: 'c1',
    client,
    http: f.http,
    discovery: {
      metadata: metadata(),
      source: 'oauth-authorization-server',
      url: ISSUER,
      fetchedAt: 0,
      attempts: [],
    },
    persistNonces: async () => undefined,
  } as unknown as Session;
  return { f, ctx, s };
}

const previous: StoredTokens = {
  version: PROFILE_VERSION,
  access_token: 'at0',
  token_type: 'DPoP',
  refresh_token: 'rt0',
  obtained_at: 0,
  issuer: ISSUER,
  client_id: 'c1',
};

describe('refreshAndSave (CL-19)', () => {
  it('stores a rotated refresh token and keeps the old one when none comes back', async () => {
    let n = 0;
    const { ctx, s, f } = await setup(() => ({
      status: 200,
      json: { access_token: `at${++n}`, token_type: 'DPoP', ...(n === 1 ? { refresh_token: 'rt1' } : {}) },
    }));
    const r1 = await refreshAndSave(ctx, s, previous);
    expect(r1.rotated).toBe(true);
    expect((await ctx.store.loadTokens('p'))?.refresh_token).toBe('rt1');
    const r2 = await refreshAndSave(ctx, s, r1.stored);
    expect(r2.rotated).toBe(false);
    expect((await ctx.store.loadTokens('p'))?.refresh_token).toBe('rt1');
    expect(f.forms.map((x) => x.get('refresh_token'))).toEqual(['rt0', 'rt1']);
  });

  it('retries once with the same refresh token after a transport failure', async () => {
    let n = 0;
    const { ctx, s, f } = await setup(() => {
      if (++n === 1) throw networkError('E_NETWORK', 'connection reset', 'retry');
      return { status: 200, json: { access_token: 'at9', token_type: 'DPoP' } };
    });
    const r = await refreshAndSave(ctx, s, previous);
    expect(r.stored.access_token).toBe('at9');
    expect(r.stored.refresh_token).toBe('rt0');
    expect(f.forms.map((x) => x.get('refresh_token'))).toEqual(['rt0', 'rt0']);
  });

  it('does not retry an error the server answered (invalid_grant → exit 5)', async () => {
    const { ctx, s, f } = await setup(() => ({ status: 400, json: { error: 'invalid_grant' } }));
    await expect(refreshAndSave(ctx, s, previous)).rejects.toMatchObject({ exitCode: 5 });
    expect(f.requests).toHaveLength(1);
  });
});
