/**
 * The templates shipped in the package's templates/ folder, read from disk here so that src/core
 * stays pure: core builds client metadata from a template object it is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileDetailSchema, type DetailSchema } from '../core/authorization-details.js';
import type { SenderConstraint } from '../core/fapi.js';
import type { ClientMetadata } from '../core/registration.js';
import { stateError } from '../errors.js';

/** `templates/client-metadata.<sender>.json` of the installed package (from src/ or dist/src/). */
export function clientMetadataTemplatePath(sender: SenderConstraint): string {
  const name = `client-metadata.${sender}.json`;
  for (const up of ['../../templates/', '../../../templates/']) {
    const file = fileURLToPath(new URL(up + name, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw stateError(
    'E_TEMPLATE_MISSING',
    `The client metadata template ${name} is missing from the fapi installation.`,
    'Reinstall fapi; the templates/ folder ships with the package.',
  );
}

export function loadClientMetadataTemplate(sender: SenderConstraint): ClientMetadata {
  const file = clientMetadataTemplatePath(sender);
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as ClientMetadata;
  } catch (cause) {
    throw stateError('E_TEMPLATE_INVALID', `The template ${file} is not a JSON object.`, 'Reinstall fapi.', {
      cause,
    });
  }
}

/** `templates/<name>` of the installed package (from src/ or dist/src/). */
function templatePath(name: string, what: string): string {
  for (const up of ['../../templates/', '../../../templates/']) {
    const file = fileURLToPath(new URL(up + name, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw stateError(
    'E_TEMPLATE_MISSING',
    `The ${what} ${name} is missing from the fapi installation.`,
    'Reinstall fapi; the templates/ folder ships with the package.',
  );
}

/** The JSON Schema of the lab's authorization details types (RFC 9396 §2.1), compiled once. */
let detailSchema: DetailSchema | undefined;
export function loadAuthorizationDetailsSchema(): DetailSchema {
  if (detailSchema) return detailSchema;
  const file = templatePath('authorization-details.schema.json', 'authorization details schema');
  try {
    detailSchema = compileDetailSchema(JSON.parse(readFileSync(file, 'utf8')) as unknown);
    return detailSchema;
  } catch (cause) {
    throw stateError(
      'E_TEMPLATE_INVALID',
      `The authorization details schema ${file} is invalid: ${(cause as Error).message}.`,
      'Reinstall fapi, or fix the schema (src/core/json-schema.ts lists the keywords it supports).',
      { cause },
    );
  }
}
