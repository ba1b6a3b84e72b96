/**
 * The lab's route modules, in one table: each feature is a file; adding one is a line here.
 * Order does not matter for routing; it is the order the dashboard lists endpoints in.
 */
import { authorizeModule } from './as/authorize.js';
import { discoveryModule } from './as/discovery.js';
import { parModule } from './as/par.js';
import { rarModule } from './as/rar.js';
import { registrationModule } from './as/registration.js';
import { tokenModule } from './as/token.js';
import { controlApiModule } from './control-api.js';
import { dashboardModule } from './dashboard.js';
import { ecosystemModule } from './ecosystem.js';
import type { LabModule } from './module.js';
import { RESOURCE_MODULES } from './resource-modules.js';

export const LAB_MODULES: readonly LabModule[] = [
  discoveryModule,
  registrationModule,
  parModule,
  rarModule,
  authorizeModule,
  tokenModule,
  // userinfo, introspection, revocation, the RS sample APIs (lab/resource-modules.ts)
  ...RESOURCE_MODULES,
  dashboardModule,
  controlApiModule,
  // Last: an ecosystem preset narrows the metadata the modules above publish.
  ecosystemModule,
];
