#!/usr/bin/env python3
"""A FAPI 2.0 client in Python's standard library, with the openssl command for the ES256
signatures: any language can be tested by `fapi conform client` (README "Test your own client").

    fapi conform client -- python3 examples/conform-client/python-client.py

It follows the contract (FAPI_ISSUER, FAPI_CA_FILE, FAPI_SCOPE, FAPI_RESOURCE, BROWSER, FAPI_AUTH,
FAPI_SENDER, FAPI_CLIENT_CERT/FAPI_CLIENT_KEY): dynamic registration, PAR with PKCE S256, the login
through BROWSER, the authorization response checked (iss, state), the token request, the ID token
checked (a FAPI alg, the signature by the kid from jwks_uri, iss, aud, exp, nonce), the resource
called with DPoP (or mTLS), nonces answered, a refresh when the resource refuses the token. It
signs with ES256 only, and verifies ES256 ID tokens (the lab's).
"""
import base64
import hashlib
import http.server
import json
import os
import secrets
import shlex
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ENV = os.environ
ISSUER = ENV["FAPI_ISSUER"]
MTLS = ENV.get("FAPI_SENDER") == "mtls"
CERT_AUTH = ENV.get("FAPI_AUTH") == "tls_client_auth"
WORK = tempfile.mkdtemp(prefix="fapi-python-client-")


class Refused(Exception):
    pass


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# TLS: the lab CA, TLS 1.2+ with BCP 195 suites only (FAPI2-SP §5.2.2; CL-01, CL-02), host names checked.
TLS = ssl.create_default_context(cafile=ENV["FAPI_CA_FILE"])
TLS.minimum_version = ssl.TLSVersion.TLSv1_2
TLS.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384")
if ENV.get("FAPI_CLIENT_CERT"):
    TLS.load_cert_chain(ENV["FAPI_CLIENT_CERT"], ENV["FAPI_CLIENT_KEY"])
NONCES = {}  # the newest DPoP-Nonce per origin (RFC 9449 §8, §9)


def request(method, url, form=None, body=None, headers=None):
    """One HTTPS request: (status, headers, parsed JSON or None)."""
    h = {"accept": "application/json", **(headers or {})}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        h["content-type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        res = urllib.request.urlopen(req, context=TLS, timeout=20)
        status, rh, raw = res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    if rh.get("DPoP-Nonce"):
        NONCES[origin(url)] = rh["DPoP-Nonce"]
    try:
        return status, rh, json.loads(raw)
    except ValueError:
        return status, rh, None


def origin(url):
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


def openssl(*args, data=b""):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


# ── ES256 with the openssl command ──────────────────────────────────────────────
class Key:
    """A P-256 key in a PEM file, its public JWK and thumbprint (RFC 7638)."""

    def __init__(self, name):
        self.file = os.path.join(WORK, f"{name}.pem")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.file)
        point = openssl("ec", "-in", self.file, "-pubout", "-outform", "DER")[-65:]
        self.jwk = {"crv": "P-256", "kty": "EC", "x": b64(point[1:33]), "y": b64(point[33:])}
        canonical = json.dumps(self.jwk, separators=(",", ":"), sort_keys=True).encode()
        self.thumbprint = b64(hashlib.sha256(canonical).digest())

    def sign(self, header, claims):
        """A compact JWS (RFC 7515), ES256: the DER signature of openssl as r || s (RFC 7518 §3.4)."""
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        der = openssl("dgst", "-sha256", "-sign", self.file, data=signing_input.encode())
        r, s = der_ints(der)
        return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def der_ints(der):
    """The two INTEGERs of an ECDSA-Sig-Value SEQUENCE (RFC 3279 §2.2.3)."""
    i = 2 if der[1] < 0x80 else 3
    out = []
    for _ in range(2):
        n = der[i + 1]
        out.append(int.from_bytes(der[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return out


def der_signature(raw):
    def integer(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return bytes([2, len(b)]) + b
    body = integer(raw[:32]) + integer(raw[32:])
    return bytes([0x30, len(body)]) + body


def verify_es256(jwk, signing_input, signature):
    """Verifies an ES256 signature with a P-256 public JWK (SPKI built by hand, openssl verifies)."""
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004") + unb64(jwk["x"]) + unb64(jwk["y"])
    pub = os.path.join(WORK, "issuer.pem")
    with open(pub, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n")
    sig = os.path.join(WORK, "sig.der")
    with open(sig, "wb") as f:
        f.write(der_signature(signature))
    done = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig],
                          input=signing_input.encode(), capture_output=True)
    return done.returncode == 0


# ── the flow ────────────────────────────────────────────────────────────────────
def main():
    # Discovery: the metadata must be for the issuer we were given (CL-03, RFC 8414 §3.3).
    _, _, meta = request("GET", f"{ISSUER}/.well-known/openid-configuration")
    if not meta or meta.get("issuer") != ISSUER:
        raise Refused(f"metadata issuer {meta and meta.get('issuer')} is not {ISSUER}")
    aliases = meta.get("mtls_endpoint_aliases") or {}

    def endpoint(name):
        return (aliases.get(name) if MTLS or CERT_AUTH else None) or meta[name]

    # The callback: a loopback IP literal, any port (RFC 8252 §7.3), one response.
    got = {}

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            got["params"] = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"You can close this tab.")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    waiting = threading.Thread(target=server.handle_request, daemon=True)
    waiting.start()

    # Registration (RFC 7591).
    key, dpop_key = Key("client"), Key("dpop")
    kid = key.thumbprint
    metadata = {
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "id_token_signed_response_alg": "ES256",
    }
    if CERT_AUTH:
        metadata.update(token_endpoint_auth_method="tls_client_auth",
                        tls_client_auth_subject_dn="CN=fapi-conform-client,O=fapi conform")
    else:
        metadata.update(token_endpoint_auth_method="private_key_jwt", token_endpoint_auth_signing_alg="ES256",
                        jwks={"keys": [{**key.jwk, "kid": kid, "alg": "ES256", "use": "sig"}]})
    metadata["tls_client_certificate_bound_access_tokens" if MTLS else "dpop_bound_access_tokens"] = True
    status, _, reg = request("POST", meta["registration_endpoint"], body=metadata)
    if status != 201:
        raise Refused(f"registration failed: {status} {reg}")
    client_id = reg["client_id"]

    def auth():
        if CERT_AUTH:
            return {"client_id": client_id}
        now = int(time.time())
        assertion = key.sign({"alg": "ES256", "kid": kid, "typ": "JWT"},
                             {"iss": client_id, "sub": client_id, "aud": ISSUER, "jti": secrets.token_urlsafe(16),
                              "iat": now, "exp": now + 60})
        return {"client_id": client_id,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion}

    def dpop(method, url, access_token=None):
        if MTLS:
            return {}
        claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url.split("?")[0], "iat": int(time.time())}
        if NONCES.get(origin(url)):
            claims["nonce"] = NONCES[origin(url)]
        if access_token:
            claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
        return {"DPoP": dpop_key.sign({"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop_key.jwk}, claims)}

    def post(url, params):
        """Client authentication and a DPoP proof; retried once on use_dpop_nonce (RFC 9449 §8)."""
        status, headers, data = request("POST", url, form={**params, **auth()}, headers=dpop("POST", url))
        if status == 400 and data and data.get("error") == "use_dpop_nonce":
            status, headers, data = request("POST", url, form={**params, **auth()}, headers=dpop("POST", url))
        return status, data

    # PAR with PKCE S256, state and nonce (FAPI2-SP §5.3.2.2).
    verifier = secrets.token_urlsafe(32)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {"response_type": "code", "redirect_uri": redirect_uri, "scope": ENV["FAPI_SCOPE"], "state": state,
              "nonce": nonce, "code_challenge": b64(hashlib.sha256(verifier.encode()).digest()),
              "code_challenge_method": "S256"}
    if not MTLS:
        params["dpop_jkt"] = dpop_key.thumbprint
    status, par = post(endpoint("pushed_authorization_request_endpoint"), params)
    if status != 201:
        raise Refused(f"PAR failed: {status} {par}")
    url = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(
        {"client_id": client_id, "request_uri": par["request_uri"]})
    subprocess.Popen(f"{ENV['BROWSER']} {shlex.quote(url)}", shell=True)
    waiting.join(30)
    server.server_close()
    response = {k: v[0] for k, v in got.get("params", {}).items()}

    # The authorization response: iss (CL-11, RFC 9207), then state (CL-12), before anything else.
    if response.get("iss") != ISSUER:
        raise Refused(f"authorization response iss {response.get('iss')} is not {ISSUER}")
    if response.get("state") != state:
        raise Refused("authorization response state mismatch")
    if "code" not in response:
        raise Refused(f"authorization failed: {response.get('error')}")

    status, tokens = post(endpoint("token_endpoint"), {"grant_type": "authorization_code", "code": response["code"],
                                                      "redirect_uri": redirect_uri, "code_verifier": verifier})
    if status != 200:
        raise Refused(f"token request failed: {status} {tokens}")
    if str(tokens.get("token_type")).lower() != ("bearer" if MTLS else "dpop"):  # CL-17
        raise Refused(f"token_type {tokens.get('token_type')}")

    # The ID token (CL-20; OIDC Core §3.1.3.7), before any token is used.
    h, p, s = (tokens.get("id_token") or "..").split(".")
    header, claims = json.loads(unb64(h)), json.loads(unb64(p))
    if header.get("alg") != "ES256":
        raise Refused(f"ID token alg {header.get('alg')} (this client verifies ES256)")
    _, _, jwks = request("GET", meta["jwks_uri"])
    jwk = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise Refused(f"ID token kid {header.get('kid')} is not in jwks_uri")
    if not verify_es256(jwk, f"{h}.{p}", unb64(s)):
        raise Refused("ID token signature does not verify")
    aud = claims.get("aud")
    if claims.get("iss") != ISSUER:
        raise Refused(f"ID token iss {claims.get('iss')}")
    if aud != client_id and aud != [client_id]:
        raise Refused(f"ID token aud {aud}")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < time.time() - 30:
        raise Refused("ID token expired or without exp")
    if claims.get("nonce") != nonce:
        raise Refused("ID token nonce mismatch")

    # The resource: answer nonce challenges (the scheme in any case), refresh on invalid_token (CL-19).
    resource, refreshes = ENV["FAPI_RESOURCE"], 0
    for _ in range(8):
        at = tokens["access_token"]
        status, headers, _ = request("GET", resource, headers={
            "authorization": f"{'Bearer' if MTLS else 'DPoP'} {at}", **dpop("GET", resource, at)})
        if status == 200:
            print(f"resource: {status}")
            return
        challenge = headers.get("WWW-Authenticate") or ""
        if status == 401 and challenge.lower().startswith("dpop") and 'error="use_dpop_nonce"' in challenge:
            continue
        if status == 401 and 'error="invalid_token"' in challenge and tokens.get("refresh_token") and refreshes < 3:
            refreshes += 1
            status, fresh = post(endpoint("token_endpoint"),
                                 {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
            if status != 200:
                raise Refused(f"refresh failed: {status} {fresh}")
            tokens.update(fresh)
            continue
        raise Refused(f"resource answered {status} {challenge}")
    raise Refused("resource: too many attempts")


if __name__ == "__main__":
    try:
        main()
    except Refused as e:
        print(f"refused: {e}", file=sys.stderr)
        sys.exit(2)
    except (OSError, ssl.SSLError) as e:
        print(f"failed: {e}", file=sys.stderr)
        sys.exit(1)
