/** The cookie jar of `--browser follow` and `fapi lab open` (src/http/browser-get.ts). */
import { describe, expect, it } from 'vitest';
import { browserGet, type CookieJar } from '../../../src/http/browser-get.js';
import { fakeHttp } from '../../helpers/fake-http.js';

describe('browserGet', () => {
  it('sends the jar and keeps the cookies set, names and values trimmed, the last one of a name winning', async () => {
    const f = fakeHttp();
    f.on('GET', 'https://as.example/a', () => ({
      status: 302,
      headers: {
        location: '/b',
        'set-cookie': ['sid = one ; Path=/; HttpOnly', 'sid=two', 'lang=en', '=x', 'junk'],
      },
    }));
    f.on('GET', 'https://as.example/b', () => ({
      status: 200,
      text: 'ok',
      headers: { 'set-cookie': 'b=1' },
    }));
    const jar: CookieJar = new Map();
    const a = await browserGet(f.http, 'https://as.example/a', jar);
    expect(a.status).toBe(302);
    expect([...jar]).toEqual([
      ['sid', 'two'],
      ['lang', 'en'],
    ]);
    await browserGet(f.http, 'https://as.example/b', jar);
    expect(f.requests.map((r) => r.headers)).toEqual([
      { accept: 'text/html' },
      { accept: 'text/html', cookie: 'sid=two; lang=en' },
    ]);
    expect(jar.get('b')).toBe('1');
  });
});
