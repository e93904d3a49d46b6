import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The CI integrations users copy: the composite GitHub Action (action.yml), its example
 * workflow, the GitLab job and the pre-commit hook. Each is parsed and checked for the keys
 * its host requires, and the scripts are run for real with bash (as the GitHub runner and
 * the GitLab runner run them: -eo pipefail) against the built chainmail, on a clean and on
 * an invalid file. Only the steps that call other actions (setup-node, upload-sarif,
 * github-script) and the npm install are not run here.
 */
const root = new URL('../..', import.meta.url).pathname;
const read = (p: string): unknown => parse(readFileSync(join(root, p), 'utf8'));
const bin = join(root, 'dist/cli/bin.js');
const built = existsSync(bin);
if (!built) {
  const reason = `${bin} is missing: run "npm run build" first`;
  if (process.env['CI']) throw new Error(reason);
  console.warn(`skipping the runs of the CI scripts: ${reason}`);
}

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = read('action.yml') as Action;
const work = mkdtempSync(join(tmpdir(), 'chainmail-ci-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A `chainmail` on PATH that runs the built bin, as the installed package would. */
function shimPath(): string {
  const dir = join(work, 'bin');
  if (!existsSync(join(dir, 'chainmail'))) {
    mkdirSync(dir, { recursive: true });
    // each run's subcommand logged where CHAINMAIL_CALLS says (how many times a file is linted)
    writeFileSync(join(dir, 'chainmail'), `#!/bin/sh\nif [ -n "$CHAINMAIL_CALLS" ]; then echo "$1" >> "$CHAINMAIL_CALLS"; fi\nexec "${process.execPath}" "${bin}" "$@"\n`);
    chmodSync(join(dir, 'chainmail'), 0o755);
  }
  return `${dir}:${process.env['PATH'] ?? ''}`;
}

/** A folder with a clean and an invalid chainmail file, as a checked-out repository. */
function checkout(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'mail'), { recursive: true });
  mkdirSync(join(dir, 'deploy'), { recursive: true });
  copyFileSync(join(root, 'examples/method1/chainmail.yaml'), join(dir, 'mail/chainmail.yaml'));
  copyFileSync(join(root, 'test/cli/fixtures/invalid.yaml'), join(dir, 'mail/invalid.yaml'));
  return dir;
}

/** Every `${{ ... }}` expression of a text. */
const expressions = (s: string): string[] => [...s.matchAll(/\$\{\{\s*(.*?)\s*\}\}/g)].map((m) => m[1] ?? '');

describe('action.yml (composite GitHub Action)', () => {
  it('has the keys GitHub requires of a composite action', () => {
    expect(action.name).toBe('chainmail');
    expect(action.description.length).toBeGreaterThan(10);
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps.length).toBeGreaterThan(0);
    for (const step of action.runs.steps) {
      // a composite run step must name its shell; a step either runs or uses
      expect(Boolean(step.run) !== Boolean(step.uses), JSON.stringify(step)).toBe(true);
      if (step.run) expect(step.shell, step.name).toBe('bash');
    }
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
    for (const [name, output] of Object.entries(action.outputs)) expect(output.value, name).toMatch(/^\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}$/);
  });

  it('lints once with --format github and --report sarif, uploads the SARIF, and comments --format markdown', () => {
    const runs = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/chainmail lint --format github/);
    expect(runs).toMatch(/--report "sarif:\$RUNNER_TEMP\/chainmail\.sarif"/);
    // the pull request's check lints once: no second `chainmail lint` in any step
    expect(runs.match(/^\s*chainmail lint /gm)).toHaveLength(1);
    expect(runs).toMatch(/chainmail plan "\$file" --format markdown/);
    const uses = action.runs.steps.map((s) => s.uses).filter(Boolean);
    expect(uses).toEqual(expect.arrayContaining(['github/codeql-action/upload-sarif@v3', 'actions/github-script@v7']));
  });

  it('its github-script comment script is valid JavaScript (an async function body)', () => {
    const script = action.runs.steps.find((s) => s.uses?.startsWith('actions/github-script@'))?.with?.['script'] ?? '';
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => unknown;
    expect(() => new AsyncFunction('require', 'github', 'context', 'process', script)).not.toThrow();
    expect(script).toMatch(/updateComment/);
  });

  it('refers only to declared inputs and step ids, and never expands ${{ }} inside a script', () => {
    const ids = new Set(action.runs.steps.map((s) => s.id).filter(Boolean));
    const text = readFileSync(join(root, 'action.yml'), 'utf8');
    for (const e of expressions(text)) {
      const input = /^inputs\.([\w-]+)/.exec(e);
      if (input) expect(Object.keys(action.inputs), e).toContain(input[1]);
      const step = /steps\.([\w-]+)\./.exec(e);
      if (step) expect([...ids], e).toContain(step[1]);
    }
    for (const step of action.runs.steps) expect(expressions(step.run ?? ''), step.name).toEqual([]);
  });
});

describe.skipIf(!built)('action.yml, its scripts run with bash', () => {
  /** Runs the action's run steps (not install) as the runner would, with inputs over the defaults. */
  function runAction(cwd: string, inputs: Record<string, string>, event = 'pull_request') {
    const values: Record<string, string> = { 'github-token': 'unused' };
    for (const [k, v] of Object.entries(action.inputs)) values[k] = inputs[k] ?? v.default ?? '';
    const temp = mkdtempSync(join(work, 'runner-'));
    const outputs: Record<string, Record<string, string>> = {};
    const logs: Record<string, { status: number | null; stdout: string; stderr: string }> = {};
    const evaluate = (s: string): string =>
      s.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, e: string) => {
        const input = /^inputs\.([\w-]+)$/.exec(e);
        if (input) return values[input[1] ?? ''] ?? '';
        const out = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e);
        if (out) return outputs[out[1] ?? '']?.[out[2] ?? ''] ?? '';
        throw new Error(`no value for \${{ ${e} }} in this test`);
      });
    // the `if:` conditions of the run steps, decided as GitHub would for these inputs
    const enabled = (step: Step): boolean => {
      if (step.id === 'sarif') return values['sarif'] === 'true';
      if (step.id === 'plan') return values['plan'] === 'true' && (event === 'pull_request' || event === 'pull_request_target');
      return true;
    };
    for (const step of action.runs.steps) {
      if (!step.run || step.id === 'install' || !enabled(step)) continue;
      const outFile = join(temp, `output-${step.id ?? 'x'}`);
      writeFileSync(outFile, '');
      const env: NodeJS.ProcessEnv = {
        PATH: shimPath(),
        HOME: process.env['HOME'] ?? work,
        NO_COLOR: '1',
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: outFile,
        GITHUB_STEP_SUMMARY: join(temp, 'summary.md'),
        GITHUB_PATH: join(temp, 'path'),
        GITHUB_EVENT_NAME: event,
        CHAINMAIL_CALLS: join(temp, 'calls'),
      };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(v);
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { cwd, env, encoding: 'utf8', timeout: 60_000 });
      logs[step.id ?? step.name ?? '?'] = { status: r.status, stdout: r.stdout, stderr: r.stderr };
      outputs[step.id ?? ''] = Object.fromEntries(
        readFileSync(outFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    }
    const calls = existsSync(join(temp, 'calls')) ? readFileSync(join(temp, 'calls'), 'utf8').split('\n').filter(Boolean) : [];
    return { outputs, logs, calls, summary: existsSync(join(temp, 'summary.md')) ? readFileSync(join(temp, 'summary.md'), 'utf8') : '' };
  }

  it('on a clean file: exit code 0, an empty SARIF run, the plan as Markdown, from one run of plan', () => {
    const cwd = checkout('gh-clean');
    const r = runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out deploy' });
    expect(r.logs['lint']?.status, JSON.stringify(r.logs)).toBe(0);
    expect(r.outputs['lint']).toEqual({ 'exit-code': '0', 'plan-code': '0' });
    // one file, a plan that builds (--out): plan's lint wrote the reports, the file was read once
    expect(r.calls).toEqual(['plan']);
    // lint's exit code comes from the report, not from plan's (3: changes, with --detailed-exitcode)
    const detailed = runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out deploy --detailed-exitcode' });
    expect(detailed.outputs['lint']).toEqual({ 'exit-code': '0', 'plan-code': '3' });
    expect(detailed.outputs['plan']?.['file']).toBeTruthy();
    expect(detailed.logs['result']?.status).toBe(0);
    const sarif = JSON.parse(readFileSync(r.outputs['sarif']?.['file'] ?? '', 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results).toEqual([]);
    const plan = readFileSync(r.outputs['plan']?.['file'] ?? '', 'utf8');
    expect(plan).toMatch(/^<!-- chainmail-plan mail\/chainmail\.yaml -->\n### chainmail plan\n/);
    expect(plan).not.toMatch(/\x1b\[/);
    expect(r.summary).toBe(plan);
    expect(r.logs['result']).toMatchObject({ status: 0 });
  });

  it('one run on an invalid file: the annotations, SARIF and text log of plan\'s lint, no plan comment, a failing result', () => {
    const cwd = checkout('gh-one-invalid');
    const r = runAction(cwd, { files: 'mail/invalid.yaml', 'plan-args': '--out deploy' });
    expect(r.calls).toEqual(['plan']);
    expect(r.outputs['lint']).toEqual({ 'exit-code': '1', 'plan-code': '1' });
    // what lint --format github and the text report print, from the plan's run
    const alone = spawnSync('bash', ['-c', 'chainmail lint --format github mail/invalid.yaml; chainmail lint mail/invalid.yaml'], { cwd, env: { PATH: shimPath(), NO_COLOR: '1' }, encoding: 'utf8' });
    expect(r.logs['lint']?.stdout).toBe(alone.stdout);
    expect(r.logs['lint']?.stdout).toMatch(/^::error file=mail\/invalid\.yaml,line=\d+,/m);
    const sarif = JSON.parse(readFileSync(r.outputs['sarif']?.['file'] ?? '', 'utf8')) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
    expect(r.outputs['plan']).toEqual({});
    expect(r.logs['plan']?.stdout).toMatch(/::warning title=chainmail plan::chainmail plan exited 1; no plan comment/);
    expect(r.logs['result']?.status).toBe(1);
  });

  it('lints on its own when plan cannot run (its arguments are wrong), and when it lints several files', () => {
    const cwd = checkout('gh-two-runs');
    const wrong = runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out deploy --no-such-option' });
    expect(wrong.calls).toEqual(['plan', 'lint', 'plan']);
    expect(wrong.outputs['lint']).toEqual({ 'exit-code': '0' });
    expect(wrong.logs['plan']?.stdout).toMatch(/chainmail plan exited 2; no plan comment/);
    expect(wrong.logs['result']?.status).toBe(0);
    const several = runAction(cwd, { files: 'mail/chainmail.yaml\nmail/invalid.yaml', 'plan-args': '--out deploy' });
    expect(several.calls).toEqual(['lint', 'plan']);
    expect(several.outputs['lint']).toEqual({ 'exit-code': '1' });
    expect(several.logs['result']?.status).toBe(1);
    // not an event the plan step runs on: no plan, lint alone
    expect(runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out deploy' }, 'push').calls).toEqual(['lint']);
    expect(runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out deploy' }, 'pull_request_review').calls).toEqual(['lint']);
    expect(runAction(cwd, { files: 'mail/chainmail.yaml', 'plan-args': '--out=deploy' }, 'pull_request_target').calls).toEqual(['plan']);
  });

  it('on an invalid file: annotations, SARIF results, and a failing result unless fail-on-findings is "false"', () => {
    const cwd = checkout('gh-invalid');
    const r = runAction(cwd, { files: 'mail/chainmail.yaml\nmail/invalid.yaml', plan: 'false' });
    expect(r.outputs['lint']).toEqual({ 'exit-code': '1' });
    expect(r.logs['lint']?.stdout).toMatch(/^::error file=mail\/invalid\.yaml,line=\d+,/m);
    // the text report of the same run, in the log
    expect(r.logs['lint']?.stdout).toMatch(/^mail\/invalid\.yaml:\d+:\d+: error: /m);
    const sarif = JSON.parse(readFileSync(r.outputs['sarif']?.['file'] ?? '', 'utf8')) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
    expect(r.outputs['plan']).toBeUndefined();
    expect(r.logs['result']?.status).toBe(1);
    const lenient = runAction(cwd, { files: 'mail/invalid.yaml', plan: 'false', 'fail-on-findings': 'false' });
    expect(lenient.logs['result']?.status).toBe(0);
  });

  it('fails on a file that cannot be read (exit 2), whatever fail-on-findings says', () => {
    const cwd = checkout('gh-missing');
    const r = runAction(cwd, { files: 'mail/nope.yaml', plan: 'false', sarif: 'false', 'fail-on-findings': 'false' });
    expect(r.outputs['lint']).toEqual({ 'exit-code': '2' });
    expect(r.logs['result']?.status).toBe(2);
  });
});

describe('examples/ci/github/workflow.yml (the workflow)', () => {
  const wf = read('examples/ci/github/workflow.yml') as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
  };
  it('uses the action with declared inputs and grants what it needs', () => {
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['pull_request']));
    expect(wf.permissions).toMatchObject({ 'security-events': 'write', 'pull-requests': 'write' });
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    const step = steps.find((s) => s.uses?.startsWith('chainmail-dev/chainmail@'));
    expect(step).toBeDefined();
    for (const k of Object.keys(step?.with ?? {})) expect(Object.keys(action.inputs)).toContain(k);
  });
});

interface GitlabJob {
  image: string;
  variables: Record<string, string>;
  before_script: string[];
  script: string[];
  artifacts: { when: string; reports: { codequality: string }; paths: string[] };
}
const gitlabCi = read('examples/ci/gitlab/.gitlab-ci.yml') as Record<string, GitlabJob>;

describe('examples/ci/gitlab/.gitlab-ci.yml', () => {
  it('publishes the Code Quality report of lint --report gitlab:FILE, from its one lint run', () => {
    const job = gitlabCi['chainmail'];
    expect(job?.image).toMatch(/^node:2\d/);
    expect(job?.script.join('\n')).toMatch(/chainmail lint --report gitlab:gl-code-quality-report\.json \$CHAINMAIL_FILES/);
    expect(job?.script.join('\n').match(/chainmail lint /g)).toHaveLength(1);
    expect(job?.script.join('\n')).toMatch(/chainmail plan "\$1" --format markdown/);
    expect(job?.artifacts).toMatchObject({ when: 'always', reports: { codequality: 'gl-code-quality-report.json' } });
    expect(job?.artifacts.paths).toContain('chainmail-plan.md');
  });

  it.skipIf(!built).each([
    ['a merge request with findings in one of two files', 'mail/chainmail.yaml mail/invalid.yaml', '7', 1, ['lint', 'plan']],
    ['a merge request of one file with findings (one run)', 'mail/invalid.yaml', '8', 1, ['plan']],
    ['a merge request of one clean file (one run)', 'mail/chainmail.yaml', '9', 0, ['plan']],
    ['the default branch, clean', 'mail/chainmail.yaml', '', 0, ['lint']],
  ])('its script runs with bash: %s', (name, files, mr, code, calls) => {
    const job = gitlabCi['chainmail'];
    const cwd = checkout(`gl-${code}-${mr}`);
    const env: NodeJS.ProcessEnv = { ...job?.variables, CHAINMAIL_FILES: files, CHAINMAIL_PLAN_ARGS: '--out deploy', PATH: shimPath(), HOME: process.env['HOME'] ?? work, NO_COLOR: '1', CHAINMAIL_CALLS: join(cwd, '.calls') };
    if (mr) env['CI_MERGE_REQUEST_IID'] = mr;
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', job?.script.join('\n') ?? ''], { cwd, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(code);
    // `chainmail --version`, then the runs that read the files
    expect(readFileSync(join(cwd, '.calls'), 'utf8').split('\n').filter(Boolean).slice(1), name).toEqual(calls);
    if (code === 0 && mr) expect(readFileSync(join(cwd, 'chainmail-plan.md'), 'utf8')).toMatch(/^### chainmail plan\n/);
    const report = JSON.parse(readFileSync(join(cwd, 'gl-code-quality-report.json'), 'utf8')) as { location: { path: string } }[];
    expect(report.length > 0).toBe(code === 1);
    if (code === 1) expect(report.map((i) => i.location.path)).toContain('mail/invalid.yaml');
    // the text report of the same run, in the log
    if (code === 1) expect(r.stdout).toMatch(/^mail\/invalid\.yaml:\d+:\d+: error: /m);
    expect(existsSync(join(cwd, 'chainmail-plan.md'))).toBe(Boolean(mr));
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const hooks = read('.pre-commit-hooks.yaml') as { id: string; name: string; entry: string; language: string; files: string }[];
  it('defines chainmail-lint, entry chainmail lint, on chainmail files', () => {
    const hook = hooks.find((h) => h.id === 'chainmail-lint');
    expect(hook).toMatchObject({ name: 'chainmail lint', entry: 'chainmail lint', language: 'node' });
    // pre-commit matches `files` with Python's re.search; this pattern means the same in JS
    const files = new RegExp(hook?.files ?? '$^');
    for (const f of ['chainmail.yaml', 'chainmail.yml', 'mail/chainmail.yaml', 'prod.chainmail.yaml']) expect(files.test(f), f).toBe(true);
    for (const f of ['chainmail.json', 'notchainmail.yaml', 'chainmail.yaml.bak', 'mail/other.yaml']) expect(files.test(f), f).toBe(false);
  });

  it('the example config uses a hook that exists', () => {
    const config = read('examples/ci/pre-commit/.pre-commit-config.yaml') as { repos: { hooks: { id: string }[] }[] };
    const ids = config.repos.flatMap((r) => r.hooks.map((h) => h.id));
    for (const id of ids) expect(hooks.map((h) => h.id)).toContain(id);
  });
});
