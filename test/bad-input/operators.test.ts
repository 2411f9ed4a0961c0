/** The bad input catalogue's operators: see operator-cases.ts for the cases, driver.ts for what each run must give. */
import { operatorCases } from './operator-cases.js';
import { registerCases } from './driver.js';

registerCases(operatorCases);
