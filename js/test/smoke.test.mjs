// The npm package's API: construction, push/flush in both forms, stats, errors, snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  Detector, version, abiVersion, defaultConfig, sortAlerts, catalog, parseIpList, formatCsv, summary,
} from '../index.mjs';

const seed = readFileSync(new URL('../../tests/corpus/seed-graph-single-ip/signins.json', import.meta.url));

test('version and ABI', () => {
  assert.match(version(), /^\d+\.\d+\.\d+/);
  assert.equal(abiVersion(), 1);
  const cfg = JSON.parse(defaultConfig());
  assert.equal(cfg.profile, 'default');
  assert.equal(cfg.failures_then_success.min_failures, 5);
  const seed = JSON.parse(defaultConfig('seed'));
  assert.equal(seed.profile, 'seed');
  assert.equal(seed.credential_stuffing.enabled, true);
  assert.throws(() => defaultConfig('nope'), /profile/);
});

test('seed first test: one CredentialStuffing alert, risk 60, in both profiles', () => {
  for (const profile of ['seed', 'default']) {
  const d = new Detector({ profile });
  const alerts = [...d.push(seed), ...d.flush()];
  assert.equal(alerts.length, 1);
  const a = alerts[0];
  assert.equal(a.DetectionType, 'CredentialStuffing');
  assert.equal(a.RiskScore, 60);
  assert.equal(a.FailureCount, 6);
  assert.equal(a.SuccessCount, 1);
  assert.equal(a.UniqueIPs, 1);
  assert.deepEqual(a.Mitre, ['T1586', 'T1110.004', 'T1078']);
  assert.equal(typeof a.Evidence[0].Line, 'number');
  assert.equal(a.Profile, profile);
  }
});

test('objects and canonical JSON Lines are the same bytes', () => {
  const d1 = new Detector('{}');
  const objs = [...d1.push(seed.toString('utf8')), ...d1.flush()];
  const d2 = new Detector({});
  const jsonl = d2.pushJsonl(seed) + d2.flushJsonl();
  assert.equal(objs.map((o) => JSON.stringify(o) + '\n').join(''), jsonl);
});

test('pushBuffer: bytes read into the detector\'s own buffer give what push gives', () => {
  const want = (() => {
    const d = new Detector({});
    return d.pushJsonl(seed) + d.flushJsonl();
  })();
  for (const step of [1, 7, 4096, seed.length]) {
    const d = new Detector({});
    let got = '';
    for (let at = 0; at < seed.length; at += step) {
      const part = seed.subarray(at, at + step);
      // A fresh view each time: an earlier one may be detached once the module's memory grows.
      const view = d.inputBuffer(part.length);
      assert.ok(view.length >= part.length);
      view.set(part);
      got += d.pushBufferJsonl(part.length);
    }
    got += d.flushJsonl();
    assert.equal(got, want, `chunks of ${step}`);
  }
  const d = new Detector({});
  d.inputBuffer(seed.length).set(seed);
  const objs = [...d.pushBuffer(seed.length), ...d.flush()];
  assert.equal(objs.map((o) => JSON.stringify(o) + '\n').join(''), want);
});

test('pushBuffer refuses more bytes than its buffer holds', () => {
  const d = new Detector();
  const n = d.inputBuffer(16).length;
  assert.throws(() => d.pushBuffer(n + 1), /bytes pushed from an input buffer of/);
  assert.throws(() => d.pushBufferJsonl(n + 1), /ask inputBuffer for at least that many/);
  assert.equal(d.pushBufferJsonl(0), '');
});

test('the Node CLI reads a plain file, the same file gzipped and a FIFO alike', async () => {
  const { scan } = await import('../cli.mjs');
  const dir = mkdtempSync(join(tmpdir(), 't1586-read-'));
  try {
    const plain = join(dir, 'signins.json');
    writeFileSync(plain, seed);
    writeFileSync(join(dir, 'signins.json.gz'), gzipSync(seed));
    const a = await scan([plain], '{}');
    const b = await scan([join(dir, 'signins.json.gz')], '{}');
    assert.equal(a.alerts.length, 1);
    assert.deepEqual(b.alerts.map((x) => x.json), a.alerts.map((x) => x.json).map((j) => j.replaceAll('signins.json', 'signins.json.gz')));
    assert.equal(b.stats.records_read, a.stats.records_read);
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      const writer = spawn('sh', ['-c', `cat "${plain}" > "${fifo}"`]);
      const written = new Promise((r) => writer.on('close', r));
      const c = await scan([fifo], '{}');
      assert.equal(await written, 0);
      assert.equal(c.stats.records_read, a.stats.records_read);
      assert.equal(c.alerts.length, 1);
    }
    const missing = await scan([join(dir, 'nope.json')], '{}');
    assert.equal(missing.unreadable.length, 1);
    assert.match(missing.unreadable[0][1], /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('configuration errors are thrown with the key named', () => {
  assert.throws(() => new Detector({ credential_stuffing: { min_failure: 3 } }), /min_failure/);
  assert.throws(() => new Detector('{'), /invalid JSON/);
  assert.throws(() => new Detector({ profile: 'nope' }), /profile/);
  const d = new Detector({ failures_then_success: { min_failures: 7 } });
  assert.equal([...d.push(seed), ...d.flush()].length, 0);
});

test('push rejects what is not bytes or text', () => {
  const d = new Detector();
  assert.throws(() => d.push(42), /Uint8Array or a string/);
  assert.throws(() => d.push({}), /Uint8Array or a string/);
});

test('stats account for every record', () => {
  const d = new Detector();
  d.beginSource('bad.jsonl');
  d.push('{"userPrincipalName":"a@b.c"}\nnot json\n{"createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@b.c","status":{"errorCode":0}}\n');
  d.flush();
  const s = d.stats();
  assert.equal(s.records_read, 3);
  assert.equal(s.records_parsed + s.records_rejected, s.records_read);
  assert.equal(s.records_rejected, 2);
  assert.deepEqual(s.errors.map((e) => [e.source, e.line]), [['bad.jsonl', 1], ['bad.jsonl', 2]]);
});

test('snapshot mid-stream and restore gives the same alerts', () => {
  const whole = new Detector();
  const want = whole.pushJsonl(seed) + whole.flushJsonl();
  const cut = Math.floor(seed.length / 2) + 3;
  const first = new Detector();
  let got = first.pushJsonl(seed.subarray(0, cut));
  const snap = first.snapshot();
  assert.ok(snap instanceof Uint8Array && snap.length > 0);
  const second = Detector.restore(snap);
  got += second.pushJsonl(seed.subarray(cut)) + second.flushJsonl();
  assert.equal(got, want);
  assert.throws(() => Detector.restore(new Uint8Array([1, 2, 3])), /snapshot/);
});

test('sortAlerts orders by risk then time, fractions included', () => {
  const a = [
    { RiskScore: 60, TimeGenerated: '2026-01-01T10:00:00Z' },
    { RiskScore: 60, TimeGenerated: '2026-01-01T10:00:00.5Z' },
    { RiskScore: 90, TimeGenerated: '2025-01-01T10:00:00Z' },
  ];
  assert.deepEqual(sortAlerts(a).map((x) => x.TimeGenerated), ['2025-01-01T10:00:00Z', '2026-01-01T10:00:00.5Z', '2026-01-01T10:00:00Z']);
});

const corpus = (p) => new URL(`../../tests/${p}`, import.meta.url);

test('the seed third test as a real EVTX file: one compromise, both profiles, through the Node CLI path', async () => {
  const { scan } = await import('../cli.mjs');
  for (const [profile, kind] of [['default', 'FailedLogonsThenSuccess'], ['seed', 'CredentialStuffing']]) {
    const r = await scan([corpus('corpus/windows-evtx-seed-third/security.evtx').pathname], JSON.stringify({ profile }));
    const attempts = r.alerts.filter((a) => a.value.DetectionType === 'BruteForceAttempt');
    const rest = r.alerts.filter((a) => a.value.DetectionType !== 'BruteForceAttempt');
    assert.equal(rest.length, 1, profile);
    assert.equal(rest[0].value.DetectionType, kind);
    assert.equal(rest[0].value.UserPrincipalName, 'WIN\\Admin');
    // The default profile also reports the guessing against Administrator that no logon followed.
    assert.deepEqual(attempts.map((a) => a.value.UserPrincipalName), profile === 'default' ? ['WIN\\Administrator'] : [], profile);
    assert.equal(r.stats.records_read, 16);
  }
});

test('enrichment: .mmdb and ip2asn give a Windows logon country and AS, and the hosting signal fires', async () => {
  const { scan } = await import('../cli.mjs');
  const logon = corpus('enrichment/hosting-logon.xml').pathname;
  const none = await scan([logon], '{}');
  assert.equal(none.alerts.length, 0);
  for (const [enrich, country] of [
    [{ mmdb: [corpus('enrichment/city.mmdb').pathname, corpus('enrichment/asn.mmdb').pathname] }, 'NL'],
    [{ ip2asn: [corpus('enrichment/ip2asn.tsv').pathname] }, 'GB'],
  ]) {
    const lines = [];
    const r = await scan([logon], '{}', enrich, (l) => lines.push(l));
    assert.equal(r.alerts.length, 1);
    assert.equal(r.alerts[0].value.DetectionType, 'SuspiciousInfrastructure');
    assert.deepEqual(r.alerts[0].value.Countries, [country]);
    assert.equal(r.stats.enrichment.private_or_reserved, 1);
    assert.ok(lines.every((l) => l.includes('loaded (')), lines.join('\n'));
  }
  await assert.rejects(scan([logon], '{}', { ip2asn: [logon] }), /enrichment file rejected.*line 1/);
});

test('Detector.addMmdb rejects bytes that are not a database', () => {
  const d = new Detector();
  assert.throws(() => d.addMmdb(new Uint8Array([1, 2, 3])), /not a MaxMind DB/);
  d.free();
});

test('catalog: every detection type with its signal and named ATT&CK techniques', () => {
  const c = catalog();
  const types = new Set(c.detections.map((d) => d.DetectionType));
  for (const t of ['CredentialStuffing', 'PasswordSpray', 'TokenReplay', 'CompromisedIdentity', 'OneSourceManyAccountsThenSuccess']) {
    assert.ok(types.has(t), t);
  }
  for (const d of c.detections) {
    assert.ok(d.Signal.length > 0 && d.Mitre.length > 0, d.DetectionType);
    for (const id of d.Mitre) assert.ok(c.techniques[id]?.length > 0, `${d.DetectionType}: ${id} has a name`);
  }
  assert.equal(c.techniques.T1586, 'Compromise Accounts');
  const attempts = c.detections.filter((d) => d.Attempt).map((d) => d.DetectionType).sort();
  assert.deepEqual(attempts, ['BruteForceAttempt', 'BruteForceAttempt', 'DistributedPasswordSpray', 'ExplicitCredentialSpray', 'OneSourceManyAccounts', 'PasswordSpray', 'WorkloadCredentialFailures']);
});

test('parseIpList is the core\'s parser: addresses, networks, TorDNSEL, bad lines named', () => {
  assert.deepEqual(parseIpList('# x\n203.0.113.7 note\n2001:DB8::1\n10.0.0.0/8\nExitAddress 185.220.101.4 2024-01-01\nExitNode A\n'), {
    addresses: ['203.0.113.7', '2001:db8::1', '185.220.101.4'],
    networks: ['10.0.0.0/8'],
  });
  assert.throws(() => parseIpList('1.1.1.1\n999.1.1.1'), /line 2: not an IP address or network: "999\.1\.1\.1"/);
});

test('formatCsv and summary: the core\'s writers', () => {
  const d = new Detector({ profile: 'seed' });
  d.beginSource('signins.json');
  const jsonl = d.pushJsonl(seed) + d.flushJsonl();
  const csv = formatCsv(jsonl).split('\r\n');
  assert.equal(csv[0], 'TimeGenerated,UserPrincipalName,DetectionType,RiskScore,FailureCount,SuccessCount,UniqueIPs,IPList,Apps,Countries,FirstSeen,LastSeen,Mitre,Profile,AlertId');
  assert.equal(csv.length, 3, 'header, one alert, and the final line end');
  assert.match(csv[1], /,[0-9a-f]{16}$/, 'the alert id ends the row');
  assert.match(summary(d.stats(), 1), /^t1586: \d+ records read, .*; 1 alerts/);
  d.free();
});

test('live mode: revisions in the order made, the closing one the offline alert', () => {
  const offline = new Detector({ profile: 'seed' });
  offline.beginSource('signins.json');
  const want = (offline.pushJsonl(seed) + offline.flushJsonl()).split('\n').filter(Boolean);
  offline.free();
  const d = new Detector({ profile: 'seed' });
  d.setLive(true);
  d.beginSource('signins.json');
  const revs = [...d.push(seed), ...d.releaseHeld(), ...d.flush()];
  assert.ok(revs.length > want.length, 'open revisions before the closing ones');
  const last = new Map();
  for (const a of revs) {
    assert.equal(a.Revision, (last.get(a.AlertId)?.Revision ?? 0) + 1, 'numbered 1, 2, 3...');
    last.set(a.AlertId, a);
  }
  const closed = [...last.values()].map((a) => {
    assert.equal(a.Status, 'closed');
    const { Revision, Status, ...rest } = a;
    return JSON.stringify(rest);
  });
  assert.deepEqual(closed.sort(), want.map((l) => JSON.stringify(JSON.parse(l))).sort());
  const stats = d.stats();
  assert.equal(stats.live_revisions, revs.length);
  assert.equal(stats.alerts, want.length);
  const csv = formatCsv(revs.map((a) => JSON.stringify(a)).join('\n')).split('\r\n');
  assert.match(csv[0], /,AlertId,Revision,Status$/);
  assert.throws(() => { const o = new Detector(); o.setOrder('offline'); o.setLive(true); }, /live mode needs stream input order/);
  d.free();
});
