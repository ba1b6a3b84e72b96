/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1): the DPoP (RFC 9449 §7.1, §9) and Bearer
 * (RFC 6750 §3) challenges of a resource server, and their `error` (the RS's OAuth error).
 */

/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface Challenge {
  /** As sent; compare case-insensitively (RFC 9110 §11.1, CL-17). */
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Parses `WWW-Authenticate` values into challenges, several per header allowed (RFC 9110 §11.6.1). */
export function parseWwwAuthenticate(values: string | string[] | undefined): Challenge[] {
  const all = values === undefined ? [] : Array.isArray(values) ? values : [values];
  const out: Challenge[] = [];
  for (const value of all) {
    let i = 0;
    const s = value;
    const skip = (re: RegExp) => {
      while (i < s.length && re.test(s[i] as string)) i++;
    };
    const token = () => {
      const start = i;
      while (i < s.length && TCHAR.test(s[i] as string)) i++;
      return s.slice(start, i);
    };
    const quoted = () => {
      let v = '';
      i++; // opening quote
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      i++; // closing quote
      return v;
    };
    for (;;) {
      skip(/[\s,]/);
      if (i >= s.length) break;
      const scheme = token();
      if (!scheme) break; // not a challenge: stop rather than loop
      const ch: Challenge = { scheme, params: {} };
      out.push(ch);
      skip(/[ \t]/);
      // token68 (e.g. `Negotiate abc==`): up to the next comma, with no `=` followed by a value.
      const rest = s.slice(i).split(',')[0]?.trim() ?? '';
      if (rest && TOKEN68.test(rest) && !/^[^=]+=[^=]/.test(rest)) {
        ch.token68 = rest;
        i += s.slice(i).indexOf(rest) + rest.length;
        continue;
      }
      for (;;) {
        skip(/[\s,]/);
        const save = i;
        const name = token();
        if (!name) break;
        skip(/[ \t]/);
        if (s[i] !== '=') {
          i = save; // the next challenge's scheme
          break;
        }
        i++;
        skip(/[ \t]/);
        ch.params[name.toLowerCase()] = s[i] === '"' ? quoted() : token();
        skip(/[ \t]/);
        if (s[i] !== ',') break;
      }
    }
  }
  return out;
}

/** The challenge with this scheme, compared case-insensitively (CL-17). */
export function findChallenge(challenges: Challenge[], scheme: string): Challenge | undefined {
  return challenges.find((c) => c.scheme.toLowerCase() === scheme.toLowerCase());
}
