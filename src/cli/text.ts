/** Small text helpers for the CLI's human output. */
import path from 'node:path';

/** `file` with the home folder shortened to `~`, for display: ~/.config/fapi/lab/ca.pem. */
export function tilde(file: string, home: string | undefined): string {
  return home && file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}
