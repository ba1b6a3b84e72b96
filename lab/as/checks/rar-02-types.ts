import { checkDetailTypes } from '../../../src/core/authorization-details.js';
import { clientOf, defineCheck } from '../check.js';
import { labRar, rarRule } from '../rar.js';
import type { RarExchange } from './rar-01-json.js';

/**
 * RAR-02: every type is one the lab supports (`authorization_details_types_supported`) and, when
 * the client registered `authorization_details_types`, one of those (RFC 9396 §5, §10).
 */
export const rarTypes = defineCheck<RarExchange>({
  id: 'RAR-02',
  name: 'authorization-details-types-supported',
  spec: 'RFC 9396 §5, §10',
  run(s) {
    const details = s.authorizationDetails;
    if (!details) return 'skip';
    const registered = clientOf(s).client.metadata.authorization_details_types;
    rarRule(() => checkDetailTypes(details, labRar().types, registered));
  },
});
