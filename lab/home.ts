/**
 * The lab home: `<fapi home>/lab` (so FAPI_HOME and --home apply). What survives a restart lives
 * here: the lab CA, the TLS server certificate, the lab's signing key and the registered clients;
 * plus the run file of a running lab and its log.
 */
import path from 'node:path';
import { paths } from '../src/store/home.js';

export function labHome(fapiHome: string): string {
  return paths.labHome(fapiHome);
}

export function labPaths(home: string) {
  return {
    home,
    /** Lab CA certificate (public; give it to clients as --ca). */
    caCert: path.join(home, 'ca.pem'),
    /** Lab CA private key (0600). */
    caKey: path.join(home, 'ca-key.pem'),
    /** TLS server certificate chain (leaf + CA) and key. */
    serverCert: path.join(home, 'server.pem'),
    serverKey: path.join(home, 'server-key.pem'),
    /** The lab's token signing keys (private JWKs, 0600). */
    keys: path.join(home, 'keys.json'),
    /** Registered clients, one file each. */
    clientsDir: path.join(home, 'clients'),
    clientFile: (clientId: string) => path.join(home, 'clients', `${clientId}.json`),
    /** Grants and refresh tokens saved at shutdown, loaded at start. */
    state: path.join(home, 'state.json'),
    /** Written once the lab is ready, removed when it stops: pid, URLs. */
    run: path.join(home, 'run.json'),
    /** The log of the lab process. */
    log: path.join(home, 'lab.log'),
  };
}

export type LabPaths = ReturnType<typeof labPaths>;
