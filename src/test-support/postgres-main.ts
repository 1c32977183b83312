/**
 * Starts the test run's PostgreSQL server (scripts/run-tests.mjs runs this), prints
 * `ready <url>`, and stops the server on SIGTERM or when its parent goes away (stdin closes).
 */
import { startPostgres } from './postgres-server.js';

const pg = await startPostgres();
process.stdout.write(`ready ${pg.url}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void pg.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
