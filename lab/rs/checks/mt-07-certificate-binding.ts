/**
 * MT-07: a certificate-bound token (`cnf.x5t#S256`, RFC 8705 §3.1) is only accepted over a TLS
 * connection whose client certificate has that SHA-256 thumbprint (base64url of the DER). A
 * missing or different certificate → 401 `Bearer error="invalid_token"` (RFC 8705 §3).
 */
import { RsError } from '../errors.js';
import type { RsCheck } from '../check.js';

export const certificateBinding: RsCheck = {
  id: 'MT-07',
  name: 'certificate-binding',
  cite: 'RFC 8705 §3, §3.1; FAPI2-SP §5.3.4-5',
  run(req, st) {
    if (st.binding !== 'mtls') return;
    const presented = req.clientCertThumbprint();
    if (presented === undefined)
      throw new RsError(
        401,
        'Bearer',
        'invalid_token',
        'MT-07',
        'this access token is bound to a client certificate, but no client certificate was presented',
      );
    if (presented !== st.claims!.cnf!['x5t#S256'])
      throw new RsError(
        401,
        'Bearer',
        'invalid_token',
        'MT-07',
        'the TLS client certificate is not the one this access token is bound to (cnf.x5t#S256)',
      );
  },
};
