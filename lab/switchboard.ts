/**
 * The lab's switches while it runs: which relaxations and fault injections are on now. Every
 * switch can be changed at run time (`Lab.setFaults`, `fapi lab fault set`), effective for the next
 * request; the loud `x-fapi-lab-warning` header, the dashboard and the TLS context follow.
 *
 * The endpoints ask on every request (`ctx.fault('iss-wrong')`), so a lookup is one property read
 * of a table replaced whole on change: O(1), nothing allocated per request (bench rows 5a, 5b).
 */
import { usageError } from '../src/errors.js';
import {
  FAULTS,
  FAULT_NAMES,
  RELAXATIONS,
  RELAXATION_NAMES,
  type Fault,
  type Relaxation,
} from './switches.js';

/** What changed, for the listeners (the TLS context, the run file, the log). */
export interface SwitchChange {
  relax: readonly Relaxation[];
  faults: readonly Fault[];
  /** The faults before the change (the TLS listeners only act when a `tls-*` fault changed). */
  previousFaults: readonly Fault[];
}

export type SwitchListener = (change: SwitchChange) => void | Promise<void>;

/** The start-up warnings: one line per relaxation and fault (empty when strict). */
export function switchWarnings(s: { relax: readonly Relaxation[]; faults: readonly Fault[] }): string[] {
  return [
    ...s.relax.map((r) => `relaxed ${r}: ${RELAXATIONS[r]}`),
    ...s.faults.map((f) => `fault ${f}: ${FAULTS[f]}`),
  ];
}

/** The `x-fapi-lab-warning` header value (ASCII), or undefined when the lab is strict. */
export function switchWarningHeader(s: {
  relax: readonly Relaxation[];
  faults: readonly Fault[];
}): string | undefined {
  const parts = [...s.relax.map((r) => `relaxed=${r}`), ...s.faults.map((f) => `fault=${f}`)];
  if (parts.length === 0) return undefined;
  return `${parts.join(', ')}; this lab is NOT FAPI 2.0 conformant`;
}

/** Checks switch names given at run time (a library call, the control API); a FapiError otherwise. */
export function checkSwitchNames<T extends string>(
  kind: 'fault' | 'relaxation',
  names: unknown,
  known: readonly T[],
): T[] {
  const code = kind === 'fault' ? 'E_LAB_UNKNOWN_FAULT' : 'E_LAB_UNKNOWN_RELAXATION';
  if (!Array.isArray(names))
    throw usageError(code, `The ${kind}s must be a list of names.`, `Known ${kind}s: ${known.join(', ')}.`);
  for (const n of names) {
    if (typeof n !== 'string' || !(known as readonly string[]).includes(n))
      throw usageError(
        code,
        `Unknown ${kind} ${JSON.stringify(n)}: nothing was changed.`,
        `Known ${kind}s: ${known.join(', ')}.`,
        { [kind]: n },
      );
  }
  return [...new Set(names as T[])];
}

function table<T extends string>(all: readonly T[], on: readonly T[]): Readonly<Record<T, boolean>> {
  const t = {} as Record<T, boolean>;
  for (const n of all) t[n] = on.includes(n);
  return Object.freeze(t);
}

export class Switchboard {
  private faultOn: Readonly<Record<Fault, boolean>>;
  private relaxOn: Readonly<Record<Relaxation, boolean>>;
  private current: { relax: readonly Relaxation[]; faults: readonly Fault[] };
  private header: string | undefined;
  private readonly listeners: SwitchListener[] = [];

  constructor(initial: { relax: readonly Relaxation[]; faults: readonly Fault[] }) {
    this.current = { relax: Object.freeze([...initial.relax]), faults: Object.freeze([...initial.faults]) };
    this.faultOn = table(FAULT_NAMES, this.current.faults);
    this.relaxOn = table(RELAXATION_NAMES, this.current.relax);
    this.header = switchWarningHeader(this.current);
  }

  /** Whether a fault injection is on (one property read). */
  fault(f: Fault): boolean {
    return this.faultOn[f];
  }

  /** Whether a relaxation is on (one property read). */
  relaxed(r: Relaxation): boolean {
    return this.relaxOn[r];
  }

  get faults(): readonly Fault[] {
    return this.current.faults;
  }

  get relax(): readonly Relaxation[] {
    return this.current.relax;
  }

  /** The `x-fapi-lab-warning` header value now, or undefined when the lab is strict. */
  get warningHeader(): string | undefined {
    return this.header;
  }

  get warnings(): string[] {
    return switchWarnings(this.current);
  }

  /** Called after every change; a returned promise is awaited by the caller of the change. */
  onChange(listener: SwitchListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Replaces the active faults at once (unknown names: a rejected FapiError, nothing changed).
   * The switches change before this returns (effective for the next request); the promise
   * resolves once every listener (the TLS context) has followed.
   */
  async setFaults(names: readonly string[]): Promise<void> {
    const faults = checkSwitchNames('fault', names, FAULT_NAMES);
    return this.replace({ relax: this.current.relax, faults });
  }

  /** Replaces the active relaxations at once (unknown names: a FapiError, nothing changed). */
  async setRelaxations(names: readonly string[]): Promise<void> {
    const relax = checkSwitchNames('relaxation', names, RELAXATION_NAMES);
    return this.replace({ relax, faults: this.current.faults });
  }

  private async replace(next: { relax: readonly Relaxation[]; faults: readonly Fault[] }): Promise<void> {
    const previousFaults = this.current.faults;
    this.current = { relax: Object.freeze([...next.relax]), faults: Object.freeze([...next.faults]) };
    this.faultOn = table(FAULT_NAMES, next.faults);
    this.relaxOn = table(RELAXATION_NAMES, next.relax);
    this.header = switchWarningHeader(this.current);
    const change: SwitchChange = { ...this.current, previousFaults };
    await Promise.all(this.listeners.map((l) => l(change)));
  }
}
