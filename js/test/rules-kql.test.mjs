// `t1586 rules --to sentinel-kql`: every query parses and binds with zero diagnostics in the Kusto
// language service (Microsoft's own KQL parser and analyzer, npm @kusto/language-service-next),
// against the SigninLogs columns the rules read. The Rust CLI writes the rules (built before the
// Node tests run, as for the conformance tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const K = globalThis.Kusto;
const { System } = globalThis;

const rustCli = fileURLToPath(new URL('../../target/release/t1586', import.meta.url));

// SigninLogs, SecurityEvent and the workload identities' sign-in tables as Log Analytics
// documents them (the columns the rules use).
const SIGNIN_LOGS =
  '(TimeGenerated:datetime, UserPrincipalName:string, ResultType:string, IPAddress:string, ' +
  'AppDisplayName:string, LocationDetails:dynamic, AutonomousSystemNumber:int, Location:string, ' +
  'AuthenticationDetails:string, ClientAppUsed:string, UserAgent:string, ' +
  'AuthenticationRequirement:string, RiskEventTypes_V2:string, RiskLevelDuringSignIn:string, ' +
  'RiskLevelAggregated:string, RiskState:string, AppId:string, AuthenticationProtocol:string, ' +
  'ResourceIdentity:string, ResourceDisplayName:string, IsInteractive:bool, SessionId:string, ' +
  'UniqueTokenIdentifier:string)';
const SECURITY_EVENT =
  '(TimeGenerated:datetime, EventID:int, TargetUserName:string, TargetDomainName:string, ' +
  'IpAddress:string, WorkstationName:string, LogonType:int, Status:string, SubStatus:string, ' +
  'Computer:string, SubjectUserName:string, SubjectDomainName:string, TargetServerName:string)';
const WORKLOAD_SIGNINS =
  '(TimeGenerated:datetime, ServicePrincipalName:string, ServicePrincipalId:string, ' +
  'AppId:string, ResultType:string, IPAddress:string, Location:string, ' +
  'ResourceDisplayName:string, Type:string)';
const tables = [
  new K.Language.Symbols.TableSymbol.$ctor7('SigninLogs', SIGNIN_LOGS, null),
  new K.Language.Symbols.TableSymbol.$ctor7('AADNonInteractiveUserSignInLogs', SIGNIN_LOGS, null),
  new K.Language.Symbols.TableSymbol.$ctor7('SecurityEvent', SECURITY_EVENT, null),
  new K.Language.Symbols.TableSymbol.$ctor7('AADServicePrincipalSignInLogs', WORKLOAD_SIGNINS, null),
  new K.Language.Symbols.TableSymbol.$ctor7('AADManagedIdentitySignInLogs', WORKLOAD_SIGNINS, null),
];
const globals = K.Language.GlobalState.Default.WithDatabase(
  new K.Language.Symbols.DatabaseSymbol.ctor('SecurityInsights', tables),
);

/** The diagnostics of one query, as text. */
function diagnostics(query) {
  const code = K.Language.KustoCode.ParseAndAnalyze(query, globals);
  const out = [];
  System.Linq.Enumerable.from(code.GetDiagnostics()).forEach((d) =>
    out.push(`${d.Severity} at ${d.Start}: ${d.Message}`),
  );
  return out;
}

test('the language service reports what is wrong (the check can fail)', () => {
  const d = diagnostics('SigninLogs\n| where NoSuchColumn == 1\n| summarize n = countif(');
  assert.ok(d.length >= 2, d.join('\n'));
});

// The default profile, and a configuration that turns on the rules the default leaves out (a
// watched country for workload identities).
const tuned = join(mkdtempSync(join(tmpdir(), 't1586-kql-')), 'tuned.toml');
writeFileSync(tuned, 'profile = "default"\n[workload_location]\nwatched_countries = ["RU"]\n');
const runs = { seed: ['--profile', 'seed'], default: ['--profile', 'default'], tuned: ['--config', tuned] };

for (const [profile, args] of Object.entries(runs)) {
  test(`sentinel-kql rules of the ${profile} configuration: zero diagnostics`, () => {
    assert.ok(existsSync(rustCli), `${rustCli} is missing: cargo build --release -p t1586`);
    const out = execFileSync(rustCli, ['rules', '--to', 'sentinel-kql', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const blocks = out.trim().split('\n\n');
    assert.ok(blocks.length >= 1);
    if (profile === 'tuned') assert.match(out, /WorkloadWatchedLocation/);
    for (const block of blocks) {
      const lines = block.split('\n');
      assert.ok(lines[0].startsWith('// t1586 '), block);
      const query = lines.filter((l) => !l.startsWith('//')).join('\n');
      assert.deepEqual(diagnostics(query), [], `${lines[0]}\n${query}`);
    }
  });
}
