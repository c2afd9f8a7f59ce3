/**
 * A reader that goes away (`haplab check ep09 | head -1`, a closed terminal) is not an error
 * of the lab: the next write fails with EPIPE. From then on nothing more is written, and the
 * command is stopped as Ctrl-C stops it — so `up`, `check` and `verify --chaos` still tear
 * down what they made (their SIGINT handlers do that) and exit with the interrupted code; a
 * command that made nothing simply ends.
 */
let closed = false;

/** True once stdout or stderr has lost its reader. */
export function outputClosed(): boolean {
  return closed;
}

export function watchClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // After the first EPIPE every later write fails too (the stream is destroyed): all quiet.
      if (closed) return;
      if (err.code !== 'EPIPE') throw err;
      closed = true;
      if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT');
    });
  }
}
