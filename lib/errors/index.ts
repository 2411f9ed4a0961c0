/**
 * Every error class of Solstice-node, one module per family, all extending
 * {@link SolsticeError}. Importing this module registers every class for
 * {@link deserializeError}.
 */
export { SolsticeError, describeCause, registerErrorClasses, type ErrorClass } from './base.js';
export { serializeError, deserializeError, type SerializedError } from './serialization.js';
export * from './families.js';
