/** How a LanceSink's commits change its table: a new table, rows added to one, or its rows replaced at the end. */
export type LanceWriteMode = 'create' | 'append' | 'overwrite';
