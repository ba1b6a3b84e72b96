#!/usr/bin/env node
// Thin launcher: everything lives in dist/src/cli/main.js, which loads each command lazily.
import('../dist/src/cli/main.js').then(
  (m) => m.main(process.argv),
  (err) => {
    process.stderr.write(
      `fapi: could not load its compiled code (${err && err.code ? err.code : err}).\n` +
        'hint: run `npm run build` (or `npm ci`, which builds) in the fapi folder.\n',
    );
    process.exitCode = 1;
  },
);
