// Build step: writes dist/cli-cache.json with the text of `fapi --help` and `fapi --version`,
// rendered by the compiled CLI itself, for bin/fapi.js's fast path.
import { writeFileSync } from 'node:fs';

const { renderCache } = await import('../dist/src/cli/main.js');
writeFileSync(new URL('../dist/cli-cache.json', import.meta.url), JSON.stringify(renderCache()) + '\n');
