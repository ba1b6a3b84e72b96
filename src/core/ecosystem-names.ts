/**
 * The names of the ecosystem presets (src/core/ecosystems.ts has their rules), in a module that
 * imports nothing, so the command line can offer them without loading the presets.
 */
export const ECOSYSTEM_NAMES = [
  'fapi2',
  'uae',
  'ksa',
  'chile',
  'au-cdr',
  'connectid',
  'brazil',
  'singpass',
] as const;
export type EcosystemName = (typeof ECOSYSTEM_NAMES)[number];
export const DEFAULT_ECOSYSTEM: EcosystemName = 'fapi2';
