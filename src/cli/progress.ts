import type { RunProgress } from '../runner/local-runner.ts';

/**
 * Progress on stderr: a redrawn bar on a TTY, plain lines (every 10%) otherwise, so logs of CI
 * jobs stay readable.
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): {
  update(progress: RunProgress): void;
  finish(): void;
} {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let lastDecile = -1;
  let drawn = false;
  return {
    update(progress) {
      const { done, total } = progress;
      const fraction = total === 0 ? 1 : done / total;
      const elapsed = (Date.now() - started) / 1000;
      if (tty) {
        const width = 30;
        const filled = Math.round(fraction * width);
        const rate = elapsed > 0 ? (done - progress.skipped) / elapsed : 0;
        const eta = rate > 0 ? Math.round((total - done) / rate) : undefined;
        stream.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} episodes  ${elapsed.toFixed(1)}s${eta !== undefined && done < total ? `  eta ${eta}s` : ''}   `,
        );
        drawn = true;
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`progress: ${done}/${total} episodes (${Math.round(fraction * 100)}%) after ${elapsed.toFixed(1)}s\n`);
        }
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
    },
  };
}
