import { describe, expect, it } from 'vitest';
import { lint } from '../../src/analyze/lint.js';
import { loadModel } from '../../src/pipeline.js';
import { useTempTree } from '../support/temp-tree.js';

const tree = useTempTree('snapmerge');
const write = tree.write.bind(tree);

const SYSTEM = `  exchange:
    kind: exchange
    host: mail.example.com
    gateway: true
    directory: { url: "ldap://127.0.0.1:389", baseDn: "dc=example,dc=com", passwordEnv: CHAINMAIL_LDAP_PW }
`;
const MAIN = (includes: string, system = SYSTEM): string => `version: 1
domains:
  example.com: {}
systems:
${system}policies:
  - { name: p, system: exchange, addresses: [{ space: "@example.com", authoritative: true }] }
include: [${includes}]
`;
const SNAPSHOT = `systems:
  exchange:
    mailboxes:
      - { address: alice@example.com, aliases: [al@example.com] }
      - bad@@example.com
`;

describe('a directory snapshot holds only a system\'s mailboxes', () => {
  it.each([
    ['after the system', 'recipients.yaml', MAIN('recipients.yaml')],
    ['before the system', 'recipients.yaml, exchange.yaml', MAIN('recipients.yaml, exchange.yaml', '')],
  ])('merges into the system defined elsewhere (%s) and points findings into the snapshot', (_n, _i, main) => {
    write('recipients.yaml', SNAPSHOT);
    write('exchange.yaml', `systems:\n${SYSTEM}`);
    const l = loadModel(write('main.yaml', main), { cwd: tree.dir });
    expect(l.fatal).toBeUndefined();
    const sys = l.model?.systems.get('exchange');
    expect(sys?.kind).toBe('exchange');
    expect(sys?.directory?.url).toBe('ldap://127.0.0.1:389');
    expect(sys?.mailboxes.map((m) => m.address.key)).toEqual(['alice@example.com', '']);
    expect(sys?.mailboxes[0]?.aliases.map((a) => a.address.key)).toEqual(['al@example.com']);
    const r = lint(l);
    expect(r.diagnostics.filter((d) => d.message.includes('defined twice'))).toEqual([]);
    const bad = r.diagnostics.find((d) => d.message.includes('bad@@example.com'));
    expect(bad).toMatchObject({ file: 'recipients.yaml', line: 5 });
  });

  it('still refuses a second definition that is more than mailboxes', () => {
    write('recipients.yaml', `${SNAPSHOT}    host: other.example.com\n`);
    const r = lint(loadModel(write('main.yaml', MAIN('recipients.yaml')), { cwd: tree.dir }));
    expect(r.diagnostics.some((d) => d.message.includes('"exchange" is defined twice'))).toBe(true);
  });

  it('refuses mailboxes given twice', () => {
    write('recipients.yaml', SNAPSHOT);
    const withList = SYSTEM.replace('    gateway: true\n', '    gateway: true\n    mailboxes: [bob@example.com]\n');
    const r = lint(loadModel(write('main.yaml', MAIN('recipients.yaml', withList)), { cwd: tree.dir }));
    expect(r.diagnostics.some((d) => d.message.includes('"exchange" is defined twice'))).toBe(true);
  });

  it('refuses a password variable that does not start with CHAINMAIL_ (a CI token must not become the bind password)', () => {
    write('recipients.yaml', SNAPSHOT);
    const withToken = SYSTEM.replace('passwordEnv: CHAINMAIL_LDAP_PW', 'passwordEnv: GITHUB_TOKEN');
    const r = lint(loadModel(write('main.yaml', MAIN('recipients.yaml', withToken)), { cwd: tree.dir }));
    expect(r.diagnostics.filter((d) => d.ruleId === 'schema').map((d) => `${d.line} ${d.message}`)).toEqual(['9 systems.exchange.directory.passwordEnv "GITHUB_TOKEN" has the wrong form']);
    const clean = lint(loadModel(write('main.yaml', MAIN('recipients.yaml')), { cwd: tree.dir }));
    expect(clean.diagnostics.filter((d) => d.ruleId === 'schema')).toEqual([]);
  });

  it('refuses a password written in the file', () => {
    const withPw = SYSTEM.replace('passwordEnv: CHAINMAIL_LDAP_PW', 'password: hunter2');
    write('recipients.yaml', SNAPSHOT);
    const r = lint(loadModel(write('main.yaml', MAIN('recipients.yaml', withPw)), { cwd: tree.dir }));
    const d = r.diagnostics.find((x) => x.ruleId === 'schema' && x.message.includes('password'));
    expect(d).toBeDefined();
    expect(d?.message).not.toContain('hunter2');
  });
});
