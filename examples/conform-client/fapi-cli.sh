#!/bin/sh
# fapi's own command line as the client under test of `fapi conform client` (README "Test your
# own client"): every module of the plan passes with it.
#
#   fapi conform client -- sh examples/conform-client/fapi-cli.sh
#
# The contract gives FAPI_ISSUER, FAPI_CA_FILE, FAPI_SCOPE, FAPI_RESOURCE, FAPI_AUTH, FAPI_SENDER
# and BROWSER (which completes the lab's auto-approved login); FAPI_CLIENT_CERT and FAPI_CLIENT_KEY
# with mTLS; FAPI_INTROSPECT=1 with --introspection. FAPI_BIN overrides the fapi command (e.g.
# "node bin/fapi.js" in a checkout).
set -eu
fapi=${FAPI_BIN:-fapi}
FAPI_HOME=$(mktemp -d)
export FAPI_HOME
trap 'rm -rf "$FAPI_HOME"' EXIT
# With --jarm: register for signed (JARM) authorization responses, which `fapi login` then asks for.
jarm=
if [ "${FAPI_RESPONSE_MODE:-}" = jwt ]; then jarm=--jarm; fi

if [ -n "${FAPI_CLIENT_CERT:-}" ]; then
  # mTLS: the certificate and key of this run, then dynamic registration (RFC 7591) for them.
  $fapi profile create --issuer "$FAPI_ISSUER" --ca "$FAPI_CA_FILE" --client-id unregistered \
    --key "$FAPI_CLIENT_KEY" --cert "$FAPI_CLIENT_CERT" --auth "$FAPI_AUTH" --sender "$FAPI_SENDER" \
    --scope "$FAPI_SCOPE"
  $fapi register --force --ca "$FAPI_CA_FILE" --auth "$FAPI_AUTH" --sender "$FAPI_SENDER" --scope "$FAPI_SCOPE" $jarm
else
  # Keys and dynamic registration in one step.
  $fapi init --issuer "$FAPI_ISSUER" --ca "$FAPI_CA_FILE" --auth "$FAPI_AUTH" --sender "$FAPI_SENDER" \
    --scope "$FAPI_SCOPE" --yes $jarm
fi
# PAR + PKCE, the login through BROWSER, the token request, the ID token checked.
$fapi login
# With --introspection: a signed introspection response (RFC 9701) asked for and verified (MS-11):
# the issuer's key, a FAPI alg, typ, iss, aud, iat; any failure stops the script before the call.
if [ "${FAPI_INTROSPECT:-}" = 1 ]; then $fapi token introspect --signed >/dev/null; fi
# The resource; fapi refreshes once when the token is refused (invalid_token) and calls again, so a
# second call covers a resource that refuses the refreshed token too (the refresh modules).
$fapi call --fail "$FAPI_RESOURCE" >/dev/null || $fapi call --fail "$FAPI_RESOURCE" >/dev/null
