// Offline input in any order through the JavaScript hosts: the conformance corpus with its files
// and JSON Lines records reversed, sorted through many spilled runs, gives each case's expected
// alerts (apart from evidence file and line) through the Node CLI, through `scanOffline` with the
// page's Blob store, and through the library's calls made out of turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Detector, compareAlerts } from '../index.mjs';
import { scanOffline, blobStore } from '../offline.mjs';

const corpus = fileURLToPath(new URL('../../tests/corpus/', import.meta.url));
const cli = fileURLToPath(new URL('../bin/t1586.mjs', import.meta.url));
const NOT_INPUT = new Set(['expected.jsonl', 'expected-stats.json', 'config.json', 'README.md']);
const cases = readdirSync(corpus).filter((n) => statSync(join(corpus, n)).isDirectory()).sort();
const inputs = (dir) => readdirSync(dir).filter((n) => !NOT_INPUT.has(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Alert lines without evidence Source/Line, in the canonical order. */
function strip(jsonl) {
  const alerts = jsonl.split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
  alerts.sort(compareAlerts);
  return alerts.map((a) => {
    for (const e of a.Evidence ?? []) {
      delete e.Source;
      delete e.Line;
    }
    return JSON.stringify(a);
  });
}

const backwards = (name, bytes) => (name.endsWith('.jsonl')
  ? Buffer.from(bytes.toString('utf8').split('\n').filter((l) => l.trim()).reverse().map((l) => l + '\n').join(''))
  : bytes);

/** The case's config with small sorted runs and no lateness tolerance: any disorder sorts. */
function sortingConfig(dir) {
  const p = join(dir, 'config.json');
  const c = existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : {};
  return { ...c, max_lateness_secs: 0, limits: { ...(c.limits ?? {}), sort_run_events: 2 } };
}

let sorted = 0;
for (const name of cases) {
  const dir = join(corpus, name);
  const want = strip(readFileSync(join(dir, 'expected.jsonl'), 'utf8'));

  test(`${name}: reversed, through scanOffline and Blob runs`, async () => {
    const files = inputs(dir).reverse().map((f) => [f, backwards(f, readFileSync(join(dir, f)))]);
    const det = new Detector(JSON.stringify(sortingConfig(dir)));
    const sources = files.map(([f, bytes]) => ({
      name: f,
      push(d, emit) {
        for (let i = 0; i < bytes.length; i += 4096) if (!emit(d.pushJsonl(bytes.subarray(i, i + 4096)))) return;
      },
    }));
    const { jsonl, unreadable } = await scanOffline(det, sources, blobStore());
    assert.deepEqual(unreadable, []);
    assert.deepEqual(strip(jsonl), want);
    const s = det.stats();
    assert.equal(s.late_events, 0);
    if (s.input_sorted) {
      sorted++;
      assert.equal(s.spilled_runs, Math.floor(s.events / 2));
    }
    det.free();
  });
}

test('the sorting path was taken', () => assert.ok(sorted >= 6, `sorted ${sorted} cases`));

test('Node CLI: corpus files and records reversed give the expected alerts', () => {
  const tmp = mkdtempSync(join(tmpdir(), 't1586-order-'));
  try {
    for (const name of cases) {
      const dir = join(corpus, name);
      const out = join(tmp, name);
      const files = inputs(dir).reverse();
      spawnSync('mkdir', ['-p', out]);
      for (const f of files) writeFileSync(join(out, f), backwards(f, readFileSync(join(dir, f))));
      writeFileSync(join(out, 'config.json'), JSON.stringify(sortingConfig(dir)));
      const r = spawnSync(process.execPath, [cli, 'scan', '--format', 'jsonl', '--config', 'config.json', ...files], { cwd: out, encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(strip(r.stdout), strip(readFileSync(join(dir, 'expected.jsonl'), 'utf8')), name);
      assert.doesNotMatch(r.stderr, /processed late/, name);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('Node CLI: a directory is read recursively in name order, hidden files skipped, as the Rust CLI does', () => {
  const tmp = mkdtempSync(join(tmpdir(), 't1586-dir-'));
  try {
    const dir = join(corpus, 'default-password-spray');
    spawnSync('mkdir', ['-p', join(tmp, 'logs', 'b')]);
    const lines = readFileSync(join(dir, 'signins.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    // Newest first, split over two files in two folders.
    writeFileSync(join(tmp, 'logs', 'b', 'late.jsonl'), lines.slice(0, 10).reverse().join('\n') + '\n');
    writeFileSync(join(tmp, 'logs', 'a.jsonl'), lines.slice(10).reverse().join('\n') + '\n');
    writeFileSync(join(tmp, 'logs', '.hidden.jsonl'), 'not a record\n');
    const r = spawnSync(process.execPath, [cli, 'scan', '--format', 'jsonl', 'logs'], { cwd: tmp, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(strip(r.stdout), strip(readFileSync(join(dir, 'expected.jsonl'), 'utf8')));
    assert.doesNotMatch(r.stderr, /hidden|rejected: [^0]/);
    assert.match(r.stdout, /"Source":"logs\/(a|b\/late)\.jsonl"/);
    const missing = spawnSync(process.execPath, [cli, 'scan', '--format', 'jsonl', 'logs', 'nope'], { cwd: tmp, encoding: 'utf8' });
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /t1586: nope: ENOENT/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('order calls out of turn are errors, not silent', () => {
  const d = new Detector();
  assert.equal(d.order(), 'stream');
  assert.throws(() => d.setOrder('restart'), /cannot be set/);
  assert.throws(() => d.mergeBeginJsonl(0), /only a sorting detector merges/);
  d.setOrder('sort');
  assert.throws(() => d.mergeBeginJsonl(1), /1 runs: 0 were spilled/);
  assert.equal(d.mergeBeginJsonl(0), '');
  assert.equal(d.mergeWanted(), -1);
  assert.throws(() => d.mergeFeedJsonl(0, new Uint8Array([1])), /run 0 does not exist/);
  d.free();
});
