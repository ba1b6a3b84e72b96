// Preloaded with `node --import` by test/e2e/lazy-imports.test.ts: registers resolve hooks that
// append every module URL the process resolves to the file named by FAPI_TEST_IMPORT_LOG.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, {
  data: { log: process.env.FAPI_TEST_IMPORT_LOG },
});
