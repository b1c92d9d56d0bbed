import { ensureViewerBundle } from '../../viewer/bundle.ts';
import { startViewer } from '../../viewer/server.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

export interface ViewOptions {
  host: string;
  port: number;
  allowRemote?: boolean;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork view`: a local, read-only web app over the stored runs. */
export async function viewAction(options: ViewOptions): Promise<void> {
  const store = await openStoreReadOnly(options.store);
  try {
    const bundle = await ensureViewerBundle({ onBuild: (dir) => process.stderr.write(`building the viewer app into ${dir} (once)…\n`) });
    const server = await startViewer({
      store,
      bundleDir: bundle.dir,
      host: options.host,
      port: options.port,
      allowRemote: options.allowRemote,
    });
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
}
