/**
 * Errors cross actor boundaries as a {@link SerializedError} and become the
 * same class again through {@link deserializeError}, so `instanceof` works on
 * what `runner.run()` rejects with. This module imports every error family
 * (through families.ts), so a process that can deserialize an error has every
 * class registered, whatever else it loaded.
 */
import { SolsticeError, registeredErrorClass } from './base.js';
import './families.js';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  details?: Record<string, unknown>;
  cause?: SerializedError;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof SolsticeError) serialized.details = error.details();
  if (error.cause !== undefined) serialized.cause = serializeError(error.cause);
  return serialized;
}

/** Rebuilds the typed error that {@link serializeError} described; unknown names become plain Errors. */
export function deserializeError(serialized: SerializedError): Error {
  const errorClass = registeredErrorClass(serialized.name);
  // Reflect.construct gives a real Error (with its internal slot) whose prototype is the class's, without running its constructor.
  const error: Error = Reflect.construct(Error, [serialized.message], errorClass ?? Error);
  Object.assign(error, serialized.details ?? {});
  Object.defineProperties(error, {
    name: { value: serialized.name, enumerable: false, writable: true, configurable: true },
    message: { value: serialized.message, enumerable: false, writable: true, configurable: true },
    stack: { value: serialized.stack ?? `${serialized.name}: ${serialized.message}`, enumerable: false, writable: true, configurable: true },
  });
  if (serialized.cause) {
    Object.defineProperty(error, 'cause', { value: deserializeError(serialized.cause), enumerable: false, writable: true, configurable: true });
  }
  return error;
}
