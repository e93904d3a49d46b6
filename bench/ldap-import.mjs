// Directory import (bench/README.md, docs/directory.md): `chainmail import ldap` of N
// entries from a private slapd with AD's paging limits, against `ldapsearch -E pr=1000` of
// the same entries (the same filter and attributes) in the same run, interleaved.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, findTool, freePort, measure, median, onCleanup, ROOT, tempDir } from './lib.mjs';

const SUFFIX = 'dc=bench,dc=example';
const SERVICE = `cn=chainmail,${SUFFIX}`;
const FILTER = '(proxyAddresses=smtp:*)';
const ATTRS = ['proxyAddresses', 'targetAddress', 'cn', 'mailNickname', 'givenName', 'sn', 'displayName'];

/** N entries: 80% users with an alias on every third, 20% contacts; one LDIF for slapadd. */
function ldif(n) {
  const parts = [`dn: ${SUFFIX}\nobjectClass: domain\ndc: bench\n`, `dn: ${SERVICE}\nobjectClass: user\ncn: chainmail\nuserPassword: bench-secret\n`];
  for (const ou of ['Users', 'Contacts']) parts.push(`dn: ou=${ou},${SUFFIX}\nobjectClass: organizationalUnit\nou: ${ou}\n`);
  const users = Math.round(n * 0.8);
  for (let i = 0; i < n; i++) {
    if (i < users) {
      const alias = i % 3 === 0 ? `proxyAddresses: smtp:alias${i}@example.com\n` : '';
      parts.push(`dn: cn=User ${i},ou=Users,${SUFFIX}\nobjectClass: user\ncn: User ${i}\nproxyAddresses: SMTP:user${i}@example.com\n${alias}mailNickname: user${i}\n`);
    } else {
      parts.push(`dn: cn=Contact ${i},ou=Contacts,${SUFFIX}\nobjectClass: contact\ncn: Contact ${i}\nproxyAddresses: SMTP:c${i}@partner.example.net\nproxyAddresses: smtp:contact${i}@example.com\ntargetAddress: SMTP:c${i}@partner.example.net\nmailNickname: contact${i}\n`);
    }
  }
  return parts.join('\n');
}

function runTo(cmd, args, input) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => resolve({ code, err }));
    c.stdin.end(input ?? '');
  });
}

/** A private slapd on loopback, loaded with slapadd, with AD's 1,000-entry page limit. */
async function startSlapd(dir, n) {
  const slapd = findTool('slapd');
  const conf = join(dir, 'slapd.conf');
  const support = join(ROOT, 'test', 'support');
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      `include ${join(support, 'ad-contact.schema')}`,
      `include ${join(support, 'ad-directory.schema')}`,
      `pidfile ${join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      `suffix "${SUFFIX}"`,
      `directory ${dir}`,
      'maxsize 1073741824',
      'limits users size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited',
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const added = await runTo(findTool('slapadd'), ['-q', '-f', conf], ldif(n));
  if (added.code !== 0) throw new Error(`slapadd: ${added.err.trim()}`);
  const url = `ldap://127.0.0.1:${await freePort()}`;
  const started = await runTo(slapd, ['-f', conf, '-h', url]);
  if (started.code !== 0) throw new Error(`slapd: ${started.err.trim()}`);
  const pid = Number(readFileSync(join(dir, 'slapd.pid'), 'utf8').trim());
  onCleanup(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  });
  return { url, pid };
}

/** CPU seconds (user + system) a process has used so far: /proc/PID/stat fields 14 and 15, in clock ticks (100 per second on Linux). */
function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Import vs ldapsearch, `repeats` times each, interleaved; medians, ratio and peak RSS. */
export async function ldapImport(n, { repeats, log }) {
  if (!findTool('slapd') || !findTool('ldapsearch')) throw new Error('slapd and ldapsearch are needed: run .ci/install-system-packages.sh');
  const dir = tempDir(`ldap${n}`);
  const t0 = Date.now();
  const { url, pid } = await startSlapd(dir, n);
  log(`  slapd loaded with ${n.toLocaleString('en-US')} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // the password from a file (-y) and an environment variable: never in argv
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'bench-secret', { mode: 0o600 });
  const env = { ...process.env, CHAINMAIL_LDAP_PASSWORD: 'bench-secret' };
  const samples = { importLdap: [], ldapsearch: [] };
  // the server's CPU for each client: what the client waits for at least (its wall time
  // cannot be less unless the two overlap)
  const served = async (run) => {
    const before = cpuOf(pid);
    const r = await run();
    return { ...r, slapdCpu: cpuOf(pid) - before };
  };
  for (let i = 0; i < repeats; i++) {
    const search = await served(() => measure(findTool('ldapsearch'), ['-x', '-LLL', '-E', 'pr=1000/noprompt', '-H', url, '-D', SERVICE, '-y', pwFile, '-b', SUFFIX, FILTER, ...ATTRS], { stdout: join(dir, 'search.ldif') }));
    if (search.code !== 0) throw new Error(`ldapsearch: exit ${search.code}: ${search.stderr.slice(0, 200)}`);
    const out = join(dir, `snapshot-${i}.yaml`);
    const imp = await served(() => measure(process.execPath, [CLI, 'import', 'ldap', url, '--base', SUFFIX, '--system', 'exchange', '--bind-dn', SERVICE, '--password-env', 'CHAINMAIL_LDAP_PASSWORD', '--out', out, '--quiet'], { env, cwd: dir }));
    if (imp.code !== 3) throw new Error(`import ldap: exit ${imp.code}: ${imp.stderr.slice(0, 200)}`);
    const entries = readFileSync(join(dir, 'search.ldif'), 'utf8').split('\n').filter((l) => l.startsWith('dn:')).length;
    if (entries !== n) throw new Error(`ldapsearch returned ${entries} entries, not ${n}`);
    samples.ldapsearch.push(search);
    samples.importLdap.push(imp);
    const line = (r) => `${r.wall.toFixed(2)} s (CPU ${r.cpu?.toFixed(2) ?? '?'} s, slapd ${r.slapdCpu.toFixed(2)} s)`;
    log(`  repeat ${i + 1}: import ${line(imp)}, ldapsearch ${line(search)}`);
  }
  const wall = (k) => median(samples[k].map((s) => s.wall));
  const cpu = (k) => median(samples[k].map((s) => s.cpu));
  const slapd = (k) => median(samples[k].map((s) => s.slapdCpu));
  return {
    entries: n,
    importLdap: { wall: wall('importLdap'), cpu: cpu('importLdap'), slapdCpu: slapd('importLdap') },
    ldapsearch: { wall: wall('ldapsearch'), cpu: cpu('ldapsearch'), slapdCpu: slapd('ldapsearch') },
    ratio: wall('importLdap') / wall('ldapsearch'),
    ratioCpu: cpu('importLdap') / cpu('ldapsearch'),
    peakRssMB: Math.max(...samples.importLdap.map((s) => s.rssMB ?? 0)),
    samples,
  };
}
