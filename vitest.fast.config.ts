/**
 * `npm run test:fast`, the inner loop: unit tests, the lab in process and the attack scenarios.
 * It leaves out what starts other processes or programs, and the whole conformance runs against
 * the lab; `npm test` runs everything.
 */
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export const SLOW = [
  'test/e2e/**', // the real bin/fapi.js and `fapi lab up` processes, the demo, and the benchmark's smoke run
  'test/interop/**', // fapi against node-oidc-provider
  'test/lab/login-page.test.ts', // headless Chromium
  'test/lab/dashboard-browser.test.ts', // headless Chromium
  'test/lab/rar-consent-page.test.ts', // headless Chromium
  'test/lab/ca-damaged.test.ts', // one test runs the real bin/fapi.js `lab up` (it needs dist/)
  'test/conform/lab-switches.test.ts', // a whole conformance run per lab switch: a minute or more
  'test/conform/strict-lab.test.ts', // every check in every variant, --slow included
  'test/conform/browser.test.ts', // headless Chromium on the lab's login page
  'test/conform/client-runner.test.ts', // fapi conform client running the Python example client
];

export default mergeConfig(base, defineConfig({ test: { exclude: [...configDefaults.exclude, ...SLOW] } }));
