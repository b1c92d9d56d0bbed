import type { Command } from 'commander';
import { ensureViewerBundle } from '../../viewer/bundle.ts';
import { DEFAULT_VIEWER_PORT, startViewer } from '../../viewer/server.ts';
import { openStore, positiveInt, printJson } from '../context.ts';

/** `groundwork view`: a local, read-only web app over the stored runs. */
export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .description('serve a local read-only web app to browse runs, episodes, transcripts and state diffs')
    .option('--host <address>', 'address to bind (loopback only unless --allow-remote)', '127.0.0.1')
    .option('--port <n>', `port (0 picks a free one; default ${DEFAULT_VIEWER_PORT})`, positiveInt('--port', 0), DEFAULT_VIEWER_PORT)
    .option('--allow-remote', 'allow a non-loopback --host (the viewer has no authentication)')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document ({url}) on stdout once listening')
    .action(async (options: { host: string; port: number; allowRemote?: boolean; db?: string; json?: boolean }) => {
      const store = openStore(options.db);
      try {
        const bundle = await ensureViewerBundle({ onBuild: (dir) => process.stderr.write(`building the viewer app into ${dir} (once)…\n`) });
        const server = await startViewer({ store, bundleDir: bundle.dir, host: options.host, port: options.port, allowRemote: options.allowRemote });
        if (options.json) printJson({ url: server.url, host: server.host, port: server.port });
        else process.stdout.write(`Groundwork viewer on ${server.url}  (read-only; Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void server.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      } finally {
        await store.close();
      }
    });
}
