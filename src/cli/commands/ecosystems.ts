/**
 * `fapi ecosystems [NAME]`: the ecosystem presets and their rules, each with its source and whether
 * fapi honours it in the lab and in the client (src/core/ecosystems.ts). `--json` prints the same.
 */
import { usageError } from '../../errors.js';
import {
  ECOSYSTEMS,
  ECOSYSTEM_NAMES,
  describeEcosystem,
  isEcosystemName,
  type Ecosystem,
  type Support,
} from '../../core/ecosystems.js';
import type { CliContext, GlobalOptions } from '../context.js';

const mark = (s: Support) => (s === 'yes' ? 'yes' : s === 'no' ? 'NO' : '-');

function lines(ctx: CliContext, eco: Ecosystem): string[] {
  const c = ctx.out.c;
  const out = [`${c.bold(eco.name)} — ${eco.title}`, `  ${eco.summary}`];
  for (const r of eco.rules) {
    const flags = `lab ${mark(r.lab)}, client ${mark(r.client)}`;
    const unsupported = r.lab === 'no' || r.client === 'no';
    out.push(`  ${unsupported ? c.yellow('!') : c.green('✔')} ${r.id.padEnd(30)} ${r.rule}  [${flags}]`);
    out.push(`      ${c.dim(r.source)}`);
    if (r.gap) out.push(`      ${c.yellow(`not supported by fapi: ${r.gap}`)}`);
  }
  for (const u of eco.unknown) out.push(`  ${c.dim('?')} unknown (left out: no source found): ${u}`);
  return out;
}

export async function run(ctx: CliContext, _opts: GlobalOptions, args: string[]): Promise<void> {
  const name = args[0];
  if (name !== undefined && !isEcosystemName(name))
    throw usageError(
      'E_UNKNOWN_ECOSYSTEM',
      `Unknown ecosystem ${JSON.stringify(name)}.`,
      `Known ecosystems: ${ECOSYSTEM_NAMES.join(', ')}.`,
    );
  const list = name ? [ECOSYSTEMS[name]] : ECOSYSTEM_NAMES.map((n) => ECOSYSTEMS[n]);
  ctx.out.result({ ecosystems: list.map(describeEcosystem) }, () => {
    const out: string[] = [];
    for (const eco of list) out.push(...lines(ctx, eco), '');
    out.push(
      ctx.out.c.dim(
        'Use a preset with --ecosystem NAME on `fapi lab up`, `fapi init`, `fapi register`, `fapi login` and `fapi discover`. A rule marked NO is not followed by fapi: it never claims conformance to it.',
      ),
    );
    return out;
  });
}
