// The real public samples (../shared/data, read in place) through the Node CLI: each profile's
// alerts for each file of tests/real-samples.toml must be exactly the table's (detection type,
// identity and risk, as a multiset), as the Rust CLI's are (host/tests/real_samples.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

const root = new URL('../../', import.meta.url);
const table = parse(readFileSync(new URL('tests/real-samples.toml', root), 'utf8'));
const shared = process.env.T1586_SHARED_DATA || fileURLToPath(new URL('../shared/data/', root));
const cli = fileURLToPath(new URL('../bin/t1586.mjs', import.meta.url));

const key = (a) => `${a.type}\u0000${a.user}\u0000${a.risk}`;

test('every real sample gives the table\'s alerts through the Node CLI', (t) => {
  assert.ok(table.sample.length >= 40);
  if (!existsSync(shared)) {
    t.skip('../shared/data is not present');
    return;
  }
  const failures = [];
  for (const s of table.sample) {
    const file = `${shared}/${s.file}`;
    assert.ok(existsSync(file), `${s.file}: listed in the table but not in ../shared/data`);
    for (const profile of ['default', 'seed']) {
      const r = spawnSync(process.execPath, [cli, 'scan', '-q', '--format', 'jsonl', '--profile', profile, file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${s.file}: ${r.stderr}`);
      const got = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .map((a) => key({ type: a.DetectionType, user: a.UserPrincipalName, risk: a.RiskScore })).sort();
      const want = s[profile].map(key).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${s.file} (${profile}): want ${want.join(' | ')} got ${got.join(' | ')}`);
    }
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`${table.sample.length * 2} file and profile pairs checked`);
});
