import type { DeadLetterLocation } from '../lib/job-spec.js';
import type { OperatorContext } from '../lib/operator.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { FileDeadLetters } from './file-dead-letters.js';
import { LanceDeadLetters } from './lance-dead-letters.js';

/** The writer for a job's dead letter location: a folder of files per stage, or a Lance table. */
export function deadLetterWriter(location: DeadLetterLocation, context: OperatorContext): DeadLetterWriter {
  return location.format === 'lance' ? new LanceDeadLetters(location, context) : new FileDeadLetters(location, context);
}
