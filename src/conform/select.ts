/**
 * Choosing checks: `--only` / `--skip` take IDs or prefixes (`DP-`, `CA-02`, `attack:`), and so
 * does the `--expected-failures` file (one ID per line, `#` comments). An entry that matches no
 * check is a usage error naming it, so a typo never silently selects nothing.
 */
import { usageError } from '../errors.js';
import { NOT_CHECKED, type NotChecked } from './not-checked.js';

/**
 * True when `entry` selects the check `id`: the ID itself, a catalogue ID selecting its cases
 * (`CA-02` → `CA-02.token-url`), or a prefix ending in `-`, `.` or `:` (`DP-`, `attack:`).
 */
export function selects(entry: string, id: string): boolean {
  const e = entry.trim();
  if (!e) return false;
  if (id === e) return true;
  if (!id.startsWith(e)) return false;
  return /[-.:]$/.test(e) || id[e.length] === '.';
}

/** Splits repeated and comma-separated values: `--only CA-02,DP- --only TK-` → three entries. */
export function entries(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(/[,\s]+/)).filter(Boolean);
}

/** The entries that select no check. */
export function unknownEntries(list: readonly string[], ids: readonly string[]): string[] {
  return list.filter((e) => !ids.some((id) => selects(e, id)));
}

/** Applies --only and --skip; throws a usage error naming unknown entries. */
export function selectChecks<T extends { id: string }>(
  checks: readonly T[],
  o: {
    only?: readonly string[];
    skip?: readonly string[];
    /** The command that lists the IDs, for the hint (default `fapi conform server --list`). */
    list?: string;
    /** The catalogue rows not checked, with the reason (default: the server's, ./not-checked.ts). */
    notChecked?: readonly NotChecked[];
  },
): T[] {
  const ids = checks.map((c) => c.id);
  const only = entries(o.only);
  const skip = entries(o.skip);
  const unknown = [
    ...unknownEntries(only, ids).map((e) => `--only ${e}`),
    ...unknownEntries(skip, ids).map((e) => `--skip ${e}`),
  ];
  if (unknown.length) {
    // A catalogue row that is not checked: say why, rather than only that it is unknown.
    const why = unknown
      .map((u) => (o.notChecked ?? NOT_CHECKED).find((n) => n.id === u.replace(/^--(only|skip) /, '')))
      .filter((n): n is NotChecked => n !== undefined)
      .map((n) => `${n.id} has no check of its own: ${n.reason}.`);
    throw usageError(
      'E_UNKNOWN_CHECK',
      `No check matches ${unknown.join(', ')}.${why.length ? ` ${why.join(' ')}` : ''}`,
      o.list
        ? `IDs are catalogue IDs (CL-20), cases of one (CL-20.alg-none) or prefixes (CL-20., CL-); \`${o.list}\` lists them.`
        : 'IDs are catalogue IDs (CA-02, DP-14), cases of one (CA-02.token-url) or prefixes (DP-, attack:); `fapi conform server --list` lists them, and the rows not checked with the reason.',
      { unknown },
    );
  }
  return checks.filter(
    (c) => (only.length === 0 || only.some((e) => selects(e, c.id))) && !skip.some((e) => selects(e, c.id)),
  );
}

/**
 * Parses an expected-failures file: one ID (or prefix) per line, `#` starts a comment. Throws a
 * usage error naming the file, line and entry when one matches no check (`list`: the command that
 * lists the IDs, for the hint).
 */
export function parseExpectedFailures(
  text: string,
  file: string,
  ids: readonly string[],
  list = 'fapi conform server --list',
): string[] {
  const out: string[] = [];
  const unknown: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.replace(/#.*$/, '').trim();
    if (!entry) return;
    if (/\s/.test(entry)) {
      unknown.push(`${file}:${i + 1}: "${entry}" (one ID per line)`);
      return;
    }
    if (!ids.some((id) => selects(entry, id))) unknown.push(`${file}:${i + 1}: ${entry}`);
    else out.push(entry);
  });
  if (unknown.length)
    throw usageError(
      'E_UNKNOWN_CHECK',
      `Unknown check ID${unknown.length > 1 ? 's' : ''} in the expected-failures file: ${unknown.join('; ')}.`,
      `List catalogue IDs (CA-02), cases (CA-02.token-url) or prefixes (DP-), one per line; \`${list}\` lists them.`,
      { unknown },
    );
  return out;
}

/** The rows not checked that a --list selection names (all of them without --only or --skip). */
export function selectNotChecked(o: { only?: readonly string[]; skip?: readonly string[] }): NotChecked[] {
  const only = entries(o.only);
  const skip = entries(o.skip);
  return NOT_CHECKED.filter(
    (n) => (only.length === 0 || only.some((e) => selects(e, n.id))) && !skip.some((e) => selects(e, n.id)),
  );
}
