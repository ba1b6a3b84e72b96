import { defineCheck } from '../check.js';
import { labRar } from '../rar.js';
import { invalidMetadata, stringArray, type RegistrationExchange } from '../registration.js';

/**
 * RAR-07: a client may register the authorization details types it will use
 * (`authorization_details_types`, RFC 9396 §10); the lab then accepts only those from it (RAR-02).
 * Each must be a type the lab supports.
 */
export const regAuthorizationDetailsTypes = defineCheck<RegistrationExchange>({
  id: 'RAR-07',
  name: 'registration-authorization-details-types',
  spec: 'RFC 9396 §10',
  run(s) {
    const v = s.body.authorization_details_types;
    if (v === undefined) return 'skip';
    const types = stringArray(v, 'authorization_details_types');
    const supported = labRar().types;
    const unknown = types.filter((t) => !supported.includes(t));
    if (unknown.length)
      throw invalidMetadata(
        `authorization_details_types ${unknown.map((t) => JSON.stringify(t)).join(', ')} not supported: this lab supports ${supported.join(', ')} (RFC 9396 §10)`,
        'RAR-07',
      );
    s.metadata.authorization_details_types = [...new Set(types)];
  },
});
