/**
 * The base class of every error Solstice-node raises, and the registry that
 * lets {@link deserializeError} (lib/errors/serialization.ts) rebuild an error
 * of the same class in another process. Each family module registers its
 * own classes when it loads.
 */

/** Base class of every error raised by Solstice-node itself. */
export class SolsticeError extends Error {
  override readonly name: string = 'SolsticeError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Structured fields that survive serialization (file, line, stage, ...). */
  details(): Record<string, unknown> {
    return {};
  }
}

export type ErrorClass = abstract new (...args: never[]) => SolsticeError;

const errorClasses = new Map<string, ErrorClass>();

/**
 * Lets {@link deserializeError} rebuild errors of these classes, each under
 * its name: an error class whose `details()` returns its own fields by name
 * is rebuilt with them.
 */
export function registerErrorClasses(classes: Record<string, ErrorClass>): void {
  for (const [name, errorClass] of Object.entries(classes)) errorClasses.set(name, errorClass);
}

/** The class registered under `name`, if any. */
export function registeredErrorClass(name: string): ErrorClass | undefined {
  return errorClasses.get(name);
}

/** The message of what was thrown, for an error that wraps it. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

registerErrorClasses({ SolsticeError });
