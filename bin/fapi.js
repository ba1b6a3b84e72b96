#!/usr/bin/env node
'use strict';
// The fapi launcher. CommonJS (bin/package.json) so that `fapi --help` and `fapi --version` can be
// answered from dist/cli-cache.json, rendered at build time by the same commander program, without
// starting the ES module loader: they start as fast as node itself. Everything else, and help on a
// terminal of another width, goes to the CLI in dist/src/cli/main.js, which loads commands lazily.
const args = process.argv.slice(2);
if (args.length === 1 && ['--help', '-h', '--version', '-V'].includes(args[0])) {
  const out = process.stdout;
  const help = args[0] === '--help' || args[0] === '-h';
  try {
    const cache = JSON.parse(
      require('node:fs').readFileSync(
        require('node:path').join(__dirname, '..', 'dist', 'cli-cache.json'),
        'utf8',
      ),
    );
    if (!help) {
      out.write(cache.version + '\n');
      return;
    }
    if (!out.isTTY || out.columns === cache.columns) {
      out.write(cache.help);
      return;
    }
  } catch {
    // No cache (e.g. an older build): the full CLI answers.
  }
}
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
