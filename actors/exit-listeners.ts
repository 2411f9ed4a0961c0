/**
 * Comedy adds a process 'exit' listener for every forked actor it creates;
 * past ten, Node warns of a leak. An actor that forks children raises its
 * process's limit by their number, and lowers it again with the function
 * this returns.
 */
export function reserveExitListeners(count: number): () => void {
  if (count <= 0) return () => undefined;
  process.setMaxListeners(process.getMaxListeners() + count);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    process.setMaxListeners(Math.max(10, process.getMaxListeners() - count));
  };
}
