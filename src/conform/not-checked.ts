/**
 * The server-side rows of the requirements catalogue that `fapi conform server` does not check as
 * a check of their own, each with the reason: not observable from outside, not a MUST or SHOULD of
 * FAPI 2.0 (a MAY, or a policy of fapi's lab), only reachable outside FAPI 2.0, or checked under
 * other IDs. `--list` and the README say this, once.
 */
export interface NotChecked {
  id: string;
  /** Checked in part: the rest of the row is what `reason` explains. */
  partly?: true;
  reason: string;
}

export const NOT_CHECKED: readonly NotChecked[] = [
  {
    id: 'NET-08',
    reason:
      "the server's own TLS checks on its outbound calls (a client jwks_uri): it would have to fetch a URL fapi serves, which a server elsewhere cannot reach",
  },
  { id: 'NET-09', reason: 'DNSSEC is a property of the deployment, not of the server (a SHOULD)' },
  {
    id: 'NET-10',
    reason: 'mtls_endpoint_aliases are a MAY; when published, the mTLS checks use them (MT-*, RT-05, RT-08)',
  },
  {
    id: 'REG-12',
    partly: true,
    reason:
      'tls_client_certificate_bound_access_tokens is honoured by binding (MT-05); RFC 8705 §3.4 asks no refusal of a flagged client without its certificate (FAPI 2.0 does, for every client: MT-06); use_mtls_endpoint_aliases leaves the server nothing to do that shows: the client chooses where it sends (RFC 8705 §5), and fapi always uses the aliases for mTLS',
  },
  {
    id: 'REG-13',
    reason:
      'how registration is gated (initial access token, software statement, mTLS) is the policy of a deployment; --initial-access-token passes a gate',
  },
  {
    id: 'CA-05',
    reason:
      'a maximum assertion lifetime is a policy (RFC 7523 §3: MAY reject); exp in the past is checked (CA-04)',
  },
  { id: 'MT-09', reason: 'a TLS alert or an OAuth error: both count as a refusal in MT-02, RT-05 and MT-07' },
  {
    id: 'PAR-17',
    reason: 'server nonces are a MAY; when the server uses them, DP-10.par checks the challenge',
  },
  {
    id: 'AZ-11',
    reason:
      'what the consent page shows (the client, the scopes) needs a person reading it (a SHOULD); with a browser, fapi shows the page, it does not read it',
  },
  {
    id: 'TK-07',
    reason:
      'PKCE downgrade needs a code issued without a code_challenge, which a FAPI 2.0 server never issues (PAR-11 checks that it refuses such a request)',
  },
  { id: 'TK-12', reason: 'FAPI 2.0 sets no access-token lifetime; expires_in is checked (TK-09.expires-in)' },
  {
    id: 'DP-20',
    reason:
      'server nonces are a MAY; when the server uses them, DP-10.par, DP-10.rs and TK-10 check the challenge',
  },
  {
    id: 'RT-07',
    reason:
      'refresh tokens of public clients: FAPI 2.0 has only confidential clients (public ones are refused, REG-01)',
  },
  { id: 'RS-06', reason: 'the sender constraint at the RS is checked rule by rule: DP-01.rs … DP-22, MT-07' },
  { id: 'RS-09', reason: 'nonces at the RS are a MAY; when the RS uses them, DP-10.rs checks the challenge' },
  {
    id: 'IN-04',
    reason:
      'which callers may introspect is the policy of a deployment; IN-01..03 introspect as the token’s own client',
  },
  { id: 'CR-01', reason: 'RFC 8725 as explicit typing: DP-04, RS-04, CA-13' },
  { id: 'CR-04', reason: 'RSA keys under 2048 bits: REG-06' },
  {
    id: 'CR-05',
    reason: 'EC keys under 224 bits: REG-06 (fapi makes no such key: P-256 is the smallest FAPI curve)',
  },
  {
    id: 'CR-07',
    reason:
      'it is checked as part of META-12 (FAPI2-SP §5.4.2): jwks_uri over TLS only (failed otherwise), x5u/jku and repeated kids (warnings)',
  },
  { id: 'CR-09', reason: 'the clock-skew windows: CA-09.*, DP-11.* (and DP-11.skew)' },
];
