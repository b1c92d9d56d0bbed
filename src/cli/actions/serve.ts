import { leaseTiming } from '../../runner/local-runner.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { DEFAULT_IDLE_MS, DEFAULT_MAX_SESSIONS, startEnvServer } from '../../serve/server.ts';
import { openStore, printJson } from '../context.ts';
import { modelParticipants } from '../participants.ts';

export interface ServeOptions {
  domain: string;
  split?: string;
  user?: string;
  host: string;
  port: number;
  allowRemote?: boolean;
  maxSessions?: number;
  idleTimeout?: number;
  clientName?: string;
  run?: string;
  seed?: number;
  domainSeed?: number;
  data?: string;
  maxSteps?: number;
  config?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/**
 * `groundwork serve`: one served run, episodes played by external clients over OpenEnv's protocol
 * and MCP. Ctrl-C (or SIGTERM) stores the running episodes as abandoned (`agent_error` "server
 * shutdown"), closes the run and exits 0.
 */
export async function serveAction(options: ServeOptions): Promise<void> {
  // Files and limits are checked before the database is opened: bad input never touches the store.
  const file: RunFile = options.config ? loadRunFile(options.config) : {};
  const lease = leaseTiming();
  // The simulated user's model, without a configured limit, may serve every session at once.
  const participants = modelParticipants({ models: file.models ?? {}, concurrency: options.maxSessions ?? DEFAULT_MAX_SESSIONS }).factory;
  const user = options.user ?? file.user;
  const store = await openStore(options.store);
  let server: Awaited<ReturnType<typeof startEnvServer>>;
  try {
    server = await startEnvServer({
      store,
      domain: options.domain,
      ...((options.split ?? file.split) ? { split: options.split ?? file.split } : {}),
      ...(user !== undefined ? { user } : {}),
      participants,
      ...(options.clientName !== undefined ? { clientName: options.clientName } : {}),
      ...(options.run !== undefined ? { runId: options.run } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      domainOptions: {
        ...(options.domainSeed !== undefined ? { seed: options.domainSeed } : {}),
        ...(options.data ? { dataDir: options.data } : {}),
      },
      lease,
      host: options.host,
      port: options.port,
      ...(options.allowRemote ? { allowRemote: true } : {}),
      ...(options.maxSessions !== undefined ? { maxSessions: options.maxSessions } : {}),
      idleMs: options.idleTimeout !== undefined ? options.idleTimeout * 1000 : DEFAULT_IDLE_MS,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const info = {
    url: server.url,
    ws: server.wsUrl,
    mcp: `${server.url}/mcp`,
    run_id: server.runId,
    domain: server.run.domain.name,
    split: server.run.config.split ?? server.run.domain.defaultSplit,
    host: server.host,
    port: server.port,
  };
  if (options.json) printJson(info);
  else
    process.stdout.write(
      `Groundwork serve: ${info.domain} (split ${info.split}) on ${info.url}  WebSocket ${info.ws}  MCP ${info.mcp}\nrun ${info.run_id}  (Ctrl-C to stop)\n`,
    );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\n${signal}: storing open episodes as abandoned, closing run ${server.runId}\n`);
      void server
        .close('finished')
        .catch((error: unknown) => process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`))
        .then(() => store.close())
        .finally(() => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
