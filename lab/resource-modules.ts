/**
 * The lab modules of the resource side: the RS sample APIs, userinfo, introspection and
 * revocation. lab/modules.ts lists them in LAB_MODULES.
 */
import { introspectionModule } from './as/introspection.js';
import { revocationModule } from './as/revocation.js';
import { userinfoModule } from './as/userinfo.js';
import type { LabModule } from './module.js';
import { resourceServerModule } from './rs/module.js';

export const RESOURCE_MODULES: readonly LabModule[] = [
  userinfoModule,
  introspectionModule,
  revocationModule,
  resourceServerModule,
];
