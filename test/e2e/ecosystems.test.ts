/**
 * Every ecosystem preset with real processes: `fapi lab up --ecosystem X`, then `fapi init --lab
 * --ecosystem X --yes`, `fapi login` (the lab's non-interactive browser; with a payment detail
 * where the preset requires RAR) and `fapi call` (a payment where there is one, else the
 * accounts); `fapi discover --ecosystem X` finds none of the rules the preset lab enforces broken,
 * and finds the preset's PAR and JAR rules broken by the lab relaxations that break them (no-par,
 * unsigned-request-object); `fapi ecosystems` lists every preset with its rules and sources.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ECOSYSTEMS, ECOSYSTEM_NAMES, type EcosystemName } from '../../src/core/ecosystems.js';
import { BIN, fapi, tempHome, type RunResult } from '../helpers/cli.js';
import { labUpProcess } from '../helpers/lab-process.js';

const homes: ReturnType<typeof tempHome>[] = [];
afterAll(() => {
  for (const h of homes) h.cleanup();
});

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const PAY = [
  {
    type: 'payment_initiation',
    instructedAmount: { currency: 'EUR', amount: '10.00' },
    creditorName: 'Bob Example',
    creditorAccount: { iban: 'DE02100100109307118603' },
  },
];
const PAYMENT = JSON.stringify({
  Data: {
    Initiation: {
      InstructedAmount: { Amount: '10.00', Currency: 'EUR' },
      CreditorAccount: { Identification: 'DE02100100109307118603', Name: 'Bob Example' },
    },
  },
});

interface Lint {
  lint: { findings: { id: string; severity: string }[]; ecosystem: { name: string; conformant: boolean } };
}

async function discover(
  home: string,
  lab: { issuer: string; ca: string },
  name: EcosystemName,
): Promise<Lint['lint']> {
  const r = ok(
    await fapi(['--home', home, '--ca', lab.ca, '--json', 'discover', lab.issuer, '--ecosystem', name]),
  );
  return (JSON.parse(r.stdout) as Lint).lint;
}

describe('fapi ecosystems', () => {
  it('lists every preset with its rules, each with a source and what fapi supports', async () => {
    const r = ok(await fapi(['--json', 'ecosystems']));
    const list = (JSON.parse(r.stdout) as { ecosystems: { name: string; rules: { source: string }[] }[] })
      .ecosystems;
    expect(list.map((e) => e.name)).toEqual([...ECOSYSTEM_NAMES]);
    for (const e of list) for (const rule of e.rules) expect(rule.source.length, e.name).toBeGreaterThan(10);
    const uae = ok(await fapi(['ecosystems', 'uae']));
    expect(uae.stdout).toContain('uae.rar');
    expect(uae.stdout).toContain('openfinanceuae.atlassian.net');
    expect(uae.stdout).toContain('not supported by fapi: the lab signs ID tokens');
    const bad = await fapi(['ecosystems', 'atlantis']);
    expect(bad.code).toBe(2);
  });
});

describe('fapi lab up --ecosystem: the banner', () => {
  it('names the preset, what fapi does not do of it, and next steps that follow its rules', async () => {
    const home = tempHome('fapi-eco-banner-');
    homes.push(home);
    const up = ok(
      await fapi(['--home', home.dir, 'lab', 'up', '--port', '0', '--detach', '--ecosystem', 'uae']),
    );
    try {
      expect(up.stdout).toMatch(/ecosystem +uae: /);
      expect(up.stdout).toContain('NOT supported by fapi');
      expect(up.stdout).toContain(
        'as uae fixes it: mTLS-bound tokens only, private_key_jwt, signed request objects, RAR',
      );
      // The plain next steps (keygen + register with DPoP defaults) would be refused by this lab.
      expect(up.stdout).toContain('next:  fapi init --lab --ecosystem uae');
      expect(up.stdout).toContain('fapi login --authorization-details @FILE');
      expect(up.stdout).not.toContain('fapi keygen');
    } finally {
      ok(await fapi(['--home', home.dir, 'lab', 'down']));
    }
    const plain = tempHome('fapi-eco-banner-plain-');
    homes.push(plain);
    const up2 = ok(await fapi(['--home', plain.dir, 'lab', 'up', '--port', '0', '--detach']));
    try {
      expect(up2.stdout).toContain('next:  fapi keygen');
      expect(up2.stdout).not.toContain('--ecosystem');
    } finally {
      ok(await fapi(['--home', plain.dir, 'lab', 'down']));
    }
  }, 60_000);
});

interface CliError {
  error: { code: string; message: string; hint: string; exit_code: number; details: { rule?: string } };
}

/** A refusal of the preset: exit 2, E_ECOSYSTEM_RULE, the rule named, its source in the hint. */
function refusedBy(r: RunResult, rule: string): CliError['error'] {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
  const text = [r.stdout, r.stderr].find((t) => t.includes('"E_ECOSYSTEM_RULE"'));
  expect(text, `${r.stdout}\n${r.stderr}`).toBeDefined();
  const { error } = JSON.parse(text as string) as CliError;
  expect(error.code).toBe('E_ECOSYSTEM_RULE');
  expect(error.details.rule).toBe(rule);
  expect(error.message).toContain(`(${rule}: `);
  expect(error.hint).toContain('Source: ');
  return error;
}

describe('--ecosystem on register, init and login: what the preset does not allow is refused before anything is sent', () => {
  it('uae refuses DPoP, JARM and a login without details; ksa refuses details; register --ecosystem uae registers as the preset says', async () => {
    const home = tempHome('fapi-eco-refusals-');
    homes.push(home);
    const lab = await labUpProcess(home.dir, ['--ecosystem', 'uae', '--auto-approve']);
    const run = (args: string[]) =>
      fapi(['--home', home.dir, '--json', ...args], {
        env: { BROWSER: `"${process.execPath}" "${BIN}" --home "${home.dir}" lab open` },
      });
    const requests = async () => (JSON.parse(ok(await run(['lab', 'requests'])).stdout) as unknown[]).length;
    try {
      // Refused at set-up: JARM is not used in the UAE (response_mode query).
      refusedBy(await run(['init', '--lab', '--ecosystem', 'uae', '--jarm', '--yes']), 'uae.jarm');
      ok(await run(['init', '--lab', '--ecosystem', 'uae', '--yes']));
      const seen = await requests();

      // A client of the preset registers mTLS-bound; --sender dpop contradicts it.
      refusedBy(await run(['register', '--ecosystem', 'uae', '--sender', 'dpop', '--force']), 'uae.sender');
      refusedBy(await run(['register', '--ecosystem', 'uae', '--jarm', '--force']), 'uae.jarm');
      // The profile remembers its preset: a login without the consent as RAR is refused.
      refusedBy(await run(['login', '--scope', 'openid payments']), 'uae.rar');
      const file = path.join(home.dir, 'pay.json');
      writeFileSync(file, JSON.stringify(PAY));
      refusedBy(
        await run(['login', '--jarm', '--scope', 'openid payments', '--authorization-details', `@${file}`]),
        'uae.jarm',
      );
      // Another preset named on the command line wins over the profile's: KSA has no RAR.
      refusedBy(
        await run([
          'login',
          '--ecosystem',
          'ksa',
          '--scope',
          'openid payments',
          '--authorization-details',
          `@${file}`,
        ]),
        'ksa.rar',
      );
      // Nothing of the refused commands reached the lab.
      expect(await requests()).toBe(seen);

      // register --ecosystem uae (no contradicting flag): mTLS-bound, JAR required, RAR types.
      const reg = JSON.parse(ok(await run(['register', '--ecosystem', 'uae', '--force'])).stdout) as {
        sender: string;
        auth_method: string;
        metadata: Record<string, unknown>;
      };
      expect(reg.sender).toBe('mtls');
      expect(reg.auth_method).toBe('private_key_jwt');
      expect(reg.metadata.require_signed_request_object).toBe(true);
      expect(reg.metadata.request_object_signing_alg).toBe('PS256');
      expect(reg.metadata.authorization_details_types).toContain('payment_initiation');
      const login = ok(
        await run(['login', '--scope', 'openid payments', '--authorization-details', `@${file}`]),
      );
      expect(JSON.parse(login.stdout)).toMatchObject({ sender_constraint: { method: 'mtls' } });
    } finally {
      await lab.stop();
    }
  }, 120_000);
});

describe.each(ECOSYSTEM_NAMES.map((n) => [n]))('the %s preset', (name) => {
  const eco = ECOSYSTEMS[name];
  it(`${name}: init + login + call against fapi lab up --ecosystem ${name}; discover finds its rules kept, and broken where a relaxation breaks them`, async () => {
    const home = tempHome(`fapi-eco-${name}-`);
    homes.push(home);
    const lab = await labUpProcess(home.dir, ['--ecosystem', name, '--auto-approve']);
    try {
      const run = (args: string[]) =>
        fapi(['--home', home.dir, ...args], {
          env: { BROWSER: `"${process.execPath}" "${BIN}" --home "${home.dir}" lab open` },
          timeoutMs: 60_000,
        });
      ok(await run(['init', '--lab', '--ecosystem', name, '--yes']));
      const rar = eco.settings.rar === 'required';
      const file = path.join(home.dir, 'pay.json');
      writeFileSync(file, JSON.stringify(PAY));
      const login = ok(
        await run([
          '--json',
          'login',
          '--scope',
          rar ? 'openid payments' : 'openid accounts',
          ...(rar ? ['--authorization-details', `@${file}`] : []),
        ]),
      );
      const tokens = JSON.parse(login.stdout) as { sender_constraint: { method: string; jkt?: string } };
      if (eco.settings.sender) expect(tokens.sender_constraint.method).toBe(eco.settings.sender);
      if (name === 'singpass') {
        // A new DPoP key pair for each authentication (singpass.ephemeralDpopKey).
        const again = JSON.parse(
          ok(await run(['--json', 'login', '--scope', 'openid accounts'])).stdout,
        ) as typeof tokens;
        expect(again.sender_constraint.jkt).toBeTruthy();
        expect(again.sender_constraint.jkt).not.toBe(tokens.sender_constraint.jkt);
      }
      const call = rar
        ? await run(['--json', 'call', `${lab.rs}/payments`, '-d', PAYMENT])
        : await run(['--json', 'call', `${lab.rs}/accounts`]);
      expect(JSON.parse(ok(call).stdout).status, call.stdout).toBe(rar ? 201 : 200);

      // The preset lab breaks none of the rules it enforces.
      const lint = await discover(home.dir, lab, name);
      const broken = lint.findings.filter((f) => f.severity === 'error' && f.id.startsWith(`${name}.`));
      const enforced = new Set(eco.rules.filter((r) => r.lab === 'yes').map((r) => r.id));
      expect(broken.filter((f) => enforced.has(f.id))).toEqual([]);
    } finally {
      await lab.stop();
    }

    // A relaxation that breaks a preset rule is found by the lint, naming the rule.
    const relaxed = await labUpProcess(home.dir, [
      '--ecosystem',
      name,
      '--relax',
      'no-par',
      '--relax',
      'unsigned-request-object',
    ]);
    try {
      const lint = await discover(home.dir, relaxed, name);
      const ids = lint.findings.filter((f) => f.severity === 'error').map((f) => f.id);
      if (eco.settings.par) expect(ids).toContain(`${name}.par`);
      if (eco.settings.jar) expect(ids).toContain(`${name}.jar`);
      expect(lint.ecosystem).toEqual({ name, conformant: false, findings: expect.any(Number) as number });
    } finally {
      await relaxed.stop();
    }
  }, 120_000);
});
