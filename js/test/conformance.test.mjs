// The shared conformance corpus through Node: the library (in odd-sized chunks) and the Node CLI
// must both print exactly tests/corpus/<case>/expected.jsonl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Detector, compareAlerts } from '../index.mjs';

const corpus = fileURLToPath(new URL('../../tests/corpus/', import.meta.url));
const cli = fileURLToPath(new URL('../bin/t1586.mjs', import.meta.url));
const NOT_INPUT = new Set(['expected.jsonl', 'expected-stats.json', 'config.json', 'README.md']);
const cases = readdirSync(corpus).filter((n) => statSync(join(corpus, n)).isDirectory()).sort();
const inputs = (dir) => readdirSync(dir).filter((n) => !NOT_INPUT.has(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

test('corpus has cases', () => assert.ok(cases.length >= 6));

for (const name of cases) {
  const dir = join(corpus, name);
  const want = readFileSync(join(dir, 'expected.jsonl'), 'utf8');
  const cfgPath = join(dir, 'config.json');
  const config = existsSync(cfgPath) ? readFileSync(cfgPath, 'utf8') : '{}';

  test(`${name}: library, 5-byte chunks`, () => {
    const d = new Detector(config);
    let jsonl = '';
    for (const f of inputs(dir)) {
      d.beginSource(f);
      const bytes = readFileSync(join(dir, f));
      for (let i = 0; i < bytes.length; i += 5) jsonl += d.pushJsonl(bytes.subarray(i, i + 5));
    }
    jsonl += d.flushJsonl();
    const lines = jsonl.split('\n').filter((l) => l.length);
    lines.sort((a, b) => compareAlerts(JSON.parse(a), JSON.parse(b)));
    assert.equal(lines.map((l) => l + '\n').join(''), want);
    const statsPath = join(dir, 'expected-stats.json');
    if (existsSync(statsPath)) {
      const s = d.stats();
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(statsPath, 'utf8')))) assert.deepEqual(s[k], v, `stats.${k}`);
    }
  });

  test(`${name}: node CLI`, () => {
    const args = [cli, 'scan', '--format', 'jsonl'];
    if (existsSync(cfgPath)) args.push('--config', 'config.json');
    const r = spawnSync(process.execPath, [...args, ...inputs(dir)], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want);
  });
}

// The two CLIs side by side: same arguments, same stdout bytes and the same stderr summary, for every
// case. The Rust binary is built by `cargo test --release` / `make test` before the Node tests run.
const rustCli = fileURLToPath(new URL('../../target/release/t1586', import.meta.url));
test('the Rust CLI and the Node CLI print identical JSON Lines and summaries for every case', (t) => {
  assert.ok(existsSync(rustCli), `${rustCli} is missing: cargo build --release -p t1586`);
  for (const name of cases) {
    const dir = join(corpus, name);
    const args = ['scan', '--format', 'jsonl'];
    if (existsSync(join(dir, 'config.json'))) args.push('--config', 'config.json');
    args.push(...inputs(dir));
    const node = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
    const rust = spawnSync(rustCli, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(rust.status, 0, `${name}: ${rust.stderr}`);
    assert.equal(node.status, rust.status, name);
    assert.equal(node.stdout, rust.stdout, `${name}: stdout`);
    assert.equal(node.stderr, rust.stderr, `${name}: stderr summary`);
  }
  t.diagnostic(`${cases.length} cases compared`);
});

// Live mode (issue 41): both CLIs print the same revisions, byte for byte, in the same order and
// with the same summary; each alert's closing revision is the case's expected alert.
test('the Rust CLI and the Node CLI print identical live revisions for every case', (t) => {
  assert.ok(existsSync(rustCli), `${rustCli} is missing: cargo build --release -p t1586`);
  let revisions = 0;
  for (const name of cases) {
    const dir = join(corpus, name);
    const args = ['scan', '--live', '--format', 'jsonl'];
    if (existsSync(join(dir, 'config.json'))) args.push('--config', 'config.json');
    args.push(...inputs(dir));
    const node = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
    const rust = spawnSync(rustCli, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(rust.status, 0, `${name}: ${rust.stderr}`);
    assert.equal(node.stdout, rust.stdout, `${name}: live revisions`);
    assert.equal(node.stderr, rust.stderr, `${name}: stderr summary`);
    const lines = rust.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    revisions += lines.length;
    for (const a of lines) assert.match(a.AlertId, /^[0-9a-f]{16}$/);
  }
  t.diagnostic(`${revisions} revisions compared`);
});

test('both CLIs reject a bad configuration the same way: exit 3, the file and the key named', () => {
  const dir = join(corpus, 'seed-graph-single-ip');
  const cfg = join(mkdtempSync(join(tmpdir(), 't1586-')), 'bad.json');
  writeFileSync(cfg, '{"credential_stuffing":{"min_failures":"three"}}');
  const args = ['scan', '--config', cfg, ...inputs(dir)];
  const node = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  const rust = spawnSync(rustCli, args, { cwd: dir, encoding: 'utf8' });
  assert.equal(rust.status, 3, rust.stderr);
  assert.equal(node.status, 3, node.stderr);
  assert.match(rust.stderr, /bad\.json: configuration rejected by the detector: .*credential_stuffing\.min_failures: expected an integer/);
  assert.equal(node.stderr, rust.stderr);
  assert.equal(node.stdout, '');
  assert.equal(rust.stdout, '');
});

test('both CLIs print the same table for every case (the core writes it for both)', () => {
  for (const name of cases) {
    const dir = join(corpus, name);
    const args = ['scan', '--format', 'table', '-q'];
    if (existsSync(join(dir, 'config.json'))) args.push('--config', 'config.json');
    args.push(...inputs(dir));
    const node = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
    const rust = spawnSync(rustCli, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(rust.status, 0, `${name}: ${rust.stderr}`);
    assert.equal(node.stdout, rust.stdout, `${name}: table`);
  }
});

test('both CLIs read a Tor list with the core\'s parser: the same alerts, the same error', () => {
  const dir = join(corpus, 'default-hosting-lists');
  const tmp = mkdtempSync(join(tmpdir(), 't1586-'));
  const good = join(tmp, 'exit-addresses');
  writeFileSync(good, '@type tordnsel 1.0\nExitNode ABC\nExitAddress 185.241.208.232 2024-03-12 08:10:51\n# comment\n194.26.192.64 extra\n198.51.100.0/24\n');
  const run = (bin, list) => {
    const args = ['scan', '--format', 'jsonl', '--tor-list', list, ...inputs(dir)];
    return bin === 'node'
      ? spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' })
      : spawnSync(rustCli, args, { cwd: dir, encoding: 'utf8' });
  };
  const [n, r] = [run('node', good), run('rust', good)];
  assert.equal(r.status, 0, r.stderr);
  assert.equal(n.stdout, r.stdout);
  assert.match(r.stdout, /Tor exit list/);
  const bad = join(tmp, 'bad-list');
  writeFileSync(bad, '185.241.208.232\n999.1.1.1\n@foo\n');
  const [nb, rb] = [run('node', bad), run('rust', bad)];
  assert.equal(rb.status, 3);
  assert.equal(nb.status, 3);
  assert.equal(nb.stderr, rb.stderr);
  assert.match(rb.stderr, /bad-list: line 2: not an IP address or network: "999\.1\.1\.1"; line 3: not an IP address or network: "@foo"/);
});
