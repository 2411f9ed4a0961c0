/** The bad input catalogue's sources: see source-cases.ts for the cases, driver.ts for what each run must give. */
import { sourceCases } from './source-cases.js';
import { registerCases } from './driver.js';

registerCases(sourceCases);
