// `t1586 rules` in the Node CLI: the same generators as the Rust CLI (the rules crate, built into
// the wasm-bindgen package), so the same text on standard output and the same messages on standard
// error, for every target and both profiles and a tuned configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules, rulesTargets } from '../index.mjs';

const rustCli = fileURLToPath(new URL('../../target/release/t1586', import.meta.url));
const nodeCli = fileURLToPath(new URL('../bin/t1586.mjs', import.meta.url));

function run(cmd, args) {
  const r = cmd === 'node' ? spawnSync(process.execPath, [nodeCli, ...args], { encoding: 'utf8' })
    : spawnSync(rustCli, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('every target, both profiles and a tuned configuration: the Node CLI writes what the Rust CLI writes', () => {
  assert.ok(existsSync(rustCli), `${rustCli} is missing: cargo build --release -p t1586`);
  const dir = mkdtempSync(join(tmpdir(), 't1586-rules-'));
  const tuned = join(dir, 'tuned.json');
  writeFileSync(tuned, JSON.stringify({ profile: 'default', failures_then_success: { min_failures: 8 }, hosting: { tor_exit_ips: ['192.0.2.7'] } }));
  const targets = rulesTargets();
  assert.equal(targets.length, 9);
  for (const target of targets) {
    for (const extra of [['--profile', 'seed'], ['--profile', 'default'], ['--config', tuned]]) {
      const args = ['rules', '--to', target, ...extra];
      const r = run('rust', args);
      const n = run('node', args);
      assert.equal(r.code, 0, r.err);
      assert.equal(n.code, 0, n.err);
      assert.ok(r.out.length > 100, `${target}: some rules`);
      assert.equal(n.out, r.out, `${args.join(' ')}: standard output`);
      assert.equal(n.err, r.err, `${args.join(' ')}: standard error`);
    }
  }
});

test('an unknown target and a bad configuration fail as in the Rust CLI', () => {
  const r = run('rust', ['rules', '--to', 'qradar']);
  const n = run('node', ['rules', '--to', 'qradar']);
  assert.equal(n.code, 3);
  assert.equal(n.code, r.code);
  assert.equal(n.err, r.err);
  assert.match(n.err, /unknown rules target "qradar": one of sentinel-kql/);
  const dir = mkdtempSync(join(tmpdir(), 't1586-rules-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ password_spray: { min_identities: 'many' } }));
  const rb = run('rust', ['rules', '--to', 'sigma', '--config', bad]);
  const nb = run('node', ['rules', '--to', 'sigma', '--config', bad]);
  assert.equal(nb.code, 3);
  assert.equal(rb.code, 3);
  assert.match(nb.err, /^t1586: error: configuration: /);
  assert.equal(nb.out, '');
});

test('the package API: rules() returns the text and what the language cannot write', () => {
  const r = rules('elastic-eql', { profile: 'default' });
  assert.match(r.text, /sequence by azure\.signinlogs\.properties\.user_principal_name/);
  const unwritten = [...new Set(r.unwritten.map(([s]) => s))].sort();
  assert.deepEqual(unwritten, ['explicit_credentials', 'geo_velocity', 'one_source_many_accounts', 'password_spray', 'token_replay', 'workload_location']);
  assert.ok(r.unwritten.every(([, detection, why]) => detection && why.length > 10), JSON.stringify(r.unwritten));
  // EQL writes two of the token-replay patterns; the others are named with their reason.
  assert.match(r.text, /TokenReplay — risk 90 \(KitSignInThenNonInteractive\)/);
  assert.ok(r.unwritten.some(([s, , why]) => s === 'token_replay' && why.startsWith('SessionFromMultipleNetworks: ')));
  assert.deepEqual(r.notYet, ['combined_risk']);
  assert.throws(() => rules('nope'), /unknown rules target/);
});
