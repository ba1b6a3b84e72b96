/**
 * The run file of a running lab, `<lab home>/run.json`: written once the lab listens, rewritten
 * when its switches change, removed when it stops. It tells the other fapi processes where the
 * lab is (issuer, CA, ports, log), how it is switched (relaxations and faults, by name), the secret
 * of its control API and, when registration is gated, the initial access token to register with
 * (REG-13, RFC 7591 §3). Those are secrets, so the file is written like every other fapi file
 * (src/store/atomic.ts): atomically and 0600.
 *
 * One shape for the writer (`fapi lab up`) and every reader (`fapi lab status|down|reset`,
 * `fapi init --lab`, the tests), and one liveness rule: a run file whose process is gone, or no
 * longer runs fapi (a recycled pid), is stale and removed.
 */
import { promises as fs } from 'node:fs';
import { exists, removeFile, writeJsonAtomic } from '../src/store/atomic.js';
import {
  arrayOf,
  nonEmptyStr,
  num,
  object,
  oneOf,
  opt,
  req,
  str,
  type Check,
} from '../src/store/validate.js';
import type { LabPaths } from './home.js';
import type { RunningLab } from './server.js';
import { FAULT_NAMES, RELAXATION_NAMES, TLS_FAULTS, type Fault, type Relaxation } from './switches.js';

export interface LabRunInfo {
  /** The lab process. */
  pid: number;
  /** The issuer identifier and AS base URL. */
  issuer: string;
  /** The resource server's base URL. */
  rs: string;
  /** The base URL of the mTLS endpoint aliases (RFC 8705 §5). */
  mtls: string;
  /** The lab CA certificate (PEM file) that clients trust. */
  ca: string;
  dashboard: string;
  ports: { as: number; mtls: number; rs: number };
  /** The lab log. */
  log: string;
  /** ISO 8601. */
  started_at: string;
  /** What each relaxation and fault does, as logged at start (empty when strict). */
  warnings: string[];
  /** The relaxations in force (lab/switches.ts). */
  relax: Relaxation[];
  /** The client fault injections in force (catalogue Appendix A). */
  faults: Fault[];
  /** REG-13: the initial access token registration requires, when the lab has one. Secret. */
  registration_token?: string;
  /** The secret of the control API (/lab/control/…) for this run. Secret: never printed unless asked. */
  control_secret?: string;
  /** The ecosystem preset the lab plays (src/core/ecosystems.ts); absent: plain FAPI 2.0. */
  ecosystem?: string;
}

export { TLS_FAULTS };

const port: Check = (v, p) =>
  num(v, p) ??
  (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? undefined : `${p} must be a port`);

const RUN_FILE = object({
  pid: req((v, p) => (Number.isInteger(v) && (v as number) > 0 ? undefined : `${p} must be a process id`)),
  issuer: req(nonEmptyStr),
  rs: req(nonEmptyStr),
  mtls: req(nonEmptyStr),
  ca: req(nonEmptyStr),
  dashboard: req(str),
  ports: req(object({ as: req(port), mtls: req(port), rs: req(port) })),
  log: req(str),
  started_at: req(str),
  warnings: req(arrayOf(str)),
  relax: req(arrayOf(oneOf(...RELAXATION_NAMES))),
  faults: req(arrayOf(oneOf(...FAULT_NAMES))),
  registration_token: opt(nonEmptyStr),
  control_secret: opt(nonEmptyStr),
  ecosystem: opt(nonEmptyStr),
});

/** What a lab started in process `pid` records once it listens. */
export function labRunInfo(
  lab: RunningLab,
  o: { pid: number; paths: LabPaths; startedAt: Date },
): LabRunInfo {
  const { registrationToken, ecosystem } = lab.ctx.config;
  const { relax, faults } = lab.ctx.switches;
  return {
    pid: o.pid,
    issuer: lab.issuer,
    rs: lab.rs,
    mtls: lab.mtls,
    ca: lab.caFile,
    dashboard: `${lab.issuer}/`,
    ports: lab.ports,
    log: o.paths.log,
    started_at: o.startedAt.toISOString(),
    warnings: lab.warnings,
    relax: [...relax],
    faults: [...faults],
    ...(registrationToken ? { registration_token: registrationToken } : {}),
    control_secret: lab.ctx.controlSecret,
    ...(ecosystem && ecosystem !== 'fapi2' ? { ecosystem } : {}),
  };
}

/**
 * Keeps the run file true while the lab runs: switches changed at run time (the control API) are
 * written to it, so `fapi lab status` tells them even when the lab's TLS fault keeps fapi out.
 */
export function followSwitches(lab: RunningLab, paths: LabPaths, info: LabRunInfo): () => void {
  return lab.ctx.switches.onChange(async (change) => {
    await writeRunFile(paths, {
      ...info,
      relax: [...change.relax],
      faults: [...change.faults],
      warnings: lab.warnings,
    });
  });
}

/** Writes the run file: temp file, fsync, rename, mode 0600 (it may hold the registration token). */
export async function writeRunFile(paths: LabPaths, info: LabRunInfo): Promise<void> {
  await writeJsonAtomic(paths.run, info);
}

/**
 * Reads the run file as it is, without asking whether its process lives: the info, or why there is
 * none (no file, not JSON, not the shape above).
 */
export async function readRunFile(paths: LabPaths): Promise<{ info: LabRunInfo } | { problem: string }> {
  let text: string;
  try {
    text = await fs.readFile(paths.run, 'utf8');
  } catch {
    return { problem: `${paths.run} does not exist` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `${paths.run} is not valid JSON` };
  }
  const problem = RUN_FILE(value, '$');
  if (problem) return { problem: `${paths.run} is not a lab run file (${problem})` };
  return { info: value as LabRunInfo };
}

/** True while `pid` exists (EPERM: it exists, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` runs fapi (guards against a recycled pid); true when it cannot tell (no /proc). */
async function pidIsFapi(pid: number): Promise<boolean> {
  try {
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('fapi');
  } catch {
    return true;
  }
}

export type LabRunState = { running: true; info: LabRunInfo } | { running: false; why: string };

/** Why the process of a run file is not the lab any more, or undefined while it is. */
async function staleProcess(pid: number): Promise<string | undefined> {
  if (!pidAlive(pid)) return `its process ${pid} is gone`;
  if (!(await pidIsFapi(pid))) return `its process ${pid} is no longer fapi`;
  return undefined;
}

/** Whether the lab of `paths` runs: its run file, or why not. A stale run file is removed. */
export async function labRunState(paths: LabPaths): Promise<LabRunState> {
  if (!(await exists(paths.run))) return { running: false, why: `${paths.run} does not exist` };
  const read = await readRunFile(paths);
  if ('info' in read) {
    const why = await staleProcess(read.info.pid);
    if (!why) return { running: true, info: read.info };
    await removeFile(paths.run);
    return { running: false, why };
  }
  await removeFile(paths.run);
  return { running: false, why: read.problem };
}

/** The run file of the live lab of `paths`, or undefined (a stale file is removed). */
export async function runningLab(paths: LabPaths): Promise<LabRunInfo | undefined> {
  const state = await labRunState(paths);
  return state.running ? state.info : undefined;
}

/** Removes the run file (the lab stopped). */
export async function removeRunFile(paths: LabPaths): Promise<void> {
  await removeFile(paths.run);
}
