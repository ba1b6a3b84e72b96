/** The shared test assertions must be able to fail, or every test built on them proves nothing. */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { FapiError, usageError } from '../../src/errors.js';
import { expectFapiError } from '../helpers/expect-error.js';
import { decodeJwt } from '../helpers/jwt.js';

const usage = () => usageError('E_X', 'bad --flag value');

describe('expectFapiError', () => {
  it('returns the FapiError of a throwing call or a rejected promise when the fields match', async () => {
    const sync = expectFapiError(
      () => {
        throw usage();
      },
      { code: 'E_X', exitCode: 2, message: '--flag' },
    );
    expect(sync).toBeInstanceOf(FapiError);
    expect(await expectFapiError(Promise.reject(usage()), { message: /bad/ })).toBeInstanceOf(FapiError);
    expect(
      await expectFapiError(async () => {
        throw usage();
      }),
    ).toBeInstanceOf(FapiError);
  });

  it('fails when nothing is thrown, sync or async', async () => {
    expect(() => expectFapiError(() => 1, { code: 'E_X' })).toThrow(
      'expected a FapiError E_X, but nothing was thrown',
    );
    await expect(expectFapiError(Promise.resolve(1))).rejects.toThrow('nothing was thrown');
    await expect(expectFapiError(async () => 1)).rejects.toThrow('nothing was thrown');
  });

  it('fails on an error that is not a FapiError, and on a wrong code, exit code or message', async () => {
    expect(() =>
      expectFapiError(() => {
        throw new Error('boom');
      }),
    ).toThrow('expected a FapiError, got Error: boom');
    await expect(expectFapiError(Promise.reject(new TypeError('x')))).rejects.toThrow('got TypeError: x');
    const throwing = () => {
      throw usage();
    };
    expect(() => expectFapiError(throwing, { code: 'E_Y' })).toThrow();
    expect(() => expectFapiError(throwing, { exitCode: 3 })).toThrow();
    expect(() => expectFapiError(throwing, { message: 'other' })).toThrow();
    expect(() => expectFapiError(throwing, { message: /^other/ })).toThrow();
    expect(() => expectFapiError(throwing, { code: 'E_Y', label: 'case 7' })).toThrow('case 7');
  });
});

describe('decodeJwt', () => {
  it('reads the header and payload of a JWT that jose signed', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwt = await new SignJWT({ sub: 'alice', n: 1 })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', kid: 'k1' })
      .sign(privateKey);
    expect(decodeJwt(jwt)).toEqual({
      header: { alg: 'ES256', typ: 'dpop+jwt', kid: 'k1' },
      payload: { sub: 'alice', n: 1 },
    });
  });
});
