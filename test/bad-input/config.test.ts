/** The bad input catalogue's config: see config-cases.ts for the cases, driver.ts for what each run must give. */
import { configCases } from './config-cases.js';
import { registerCases } from './driver.js';

registerCases(configCases);
