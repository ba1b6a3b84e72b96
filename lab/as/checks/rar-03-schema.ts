import { checkDetailsSchema } from '../../../src/core/authorization-details.js';
import { defineCheck } from '../check.js';
import { labRar, rarRule } from '../rar.js';
import type { RarExchange } from './rar-01-json.js';

/**
 * RAR-03: every detail conforms to its type in templates/authorization-details.schema.json: no
 * unknown field, no field of the wrong type or with an invalid value (a negative or non-numeric
 * amount, a currency that is not ISO 4217), no missing required field (RFC 9396 §5).
 */
export const rarSchema = defineCheck<RarExchange>({
  id: 'RAR-03',
  name: 'authorization-details-conform-to-type',
  spec: 'RFC 9396 §5',
  run(s) {
    const details = s.authorizationDetails;
    if (!details) return 'skip';
    rarRule(() => checkDetailsSchema(details, labRar().schema));
  },
});
