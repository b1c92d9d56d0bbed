import { closeSync, fsyncSync, openSync } from 'node:fs';

/**
 * fsyncs a directory so a file just created in it survives a crash. Best effort: some platforms
 * (Windows) cannot open a directory; the file's own syncs still hold there.
 */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
