/**
 * `--ecosystem NAME` for the client commands (init, register, login, discover): the preset's
 * choices as defaults, a flag that contradicts a rule refused (exit 2, naming the rule and its
 * source), and the rules fapi cannot follow said loudly, never claimed (src/core/ecosystems.ts).
 */
import { usageError } from '../errors.js';
import {
  ecosystem,
  ruleOf,
  unsupportedRules,
  type Ecosystem,
  type EcosystemName,
  type RuleTopic,
} from '../core/ecosystems.js';
import type { Profile } from '../store/profile.js';
import type { CliContext } from './context.js';

/** The preset of a command: its flag, else the profile's (recorded by init/register), else none. */
export function resolveEcosystem(
  flag: EcosystemName | undefined,
  profile?: Pick<Profile, 'ecosystem'>,
): Ecosystem | undefined {
  const name = flag ?? profile?.ecosystem;
  return name && name !== 'fapi2' ? ecosystem(name) : undefined;
}

/** A usage error (exit 2) for something the preset does not allow, citing the rule. */
export function ecosystemRefusal(eco: Ecosystem, topic: RuleTopic, what: string, hint: string) {
  const rule = ruleOf(eco, topic);
  return usageError(
    'E_ECOSYSTEM_RULE',
    `${what}: ${eco.name} does not allow it${rule ? ` (${rule.id}: ${rule.rule})` : ''}.`,
    `${hint}${rule ? ` Source: ${rule.source}.` : ''}`,
    { ecosystem: eco.name, ...(rule ? { rule: rule.id } : {}) },
  );
}

/** The options a server offers, narrowed to what the preset allows (a flag outside: exit 2). */
export function withinEcosystem<T extends string>(
  eco: Ecosystem | undefined,
  topic: RuleTopic,
  allowed: readonly T[] | undefined,
  offered: T[],
  flag: { name: string; value: T | undefined },
): T[] {
  if (!eco || !allowed) return offered;
  if (flag.value !== undefined && !allowed.includes(flag.value))
    throw ecosystemRefusal(
      eco,
      topic,
      `${flag.name} ${flag.value}`,
      `Use ${flag.name} ${allowed.join(' | ')}.`,
    );
  const narrowed = offered.filter((o) => allowed.includes(o));
  // The preset's choice even when the server does not advertise it: registration will say.
  return narrowed.length ? narrowed : [...allowed];
}

/** Says, once per command, which of the preset's rules fapi does not follow. */
export function warnUnsupported(ctx: CliContext, eco: Ecosystem | undefined): void {
  if (!eco) return;
  for (const r of unsupportedRules(eco, 'client'))
    ctx.out.warn(
      `${r.id}: ${r.rule} — not supported by fapi (${r.gap ?? 'not supported'}); this client is not ${eco.name}-conformant on it`,
    );
}
