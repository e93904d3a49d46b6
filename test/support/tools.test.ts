import { afterEach, describe, expect, it, vi } from 'vitest';
import { findTool, freePort, requireTool, run, type ToolName } from './tools.js';

describe('requireTool', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  const missing = 'chainmail-no-such-tool' as ToolName;

  it('finds tools in PATH and in /usr/sbin', () => {
    expect(findTool('sh')).toMatch(/\/sh$/);
    vi.stubEnv('PATH', '/nonexistent');
    expect(findTool('sh')).toMatch(/^\/(usr\/)?s?bin\/sh$/);
  });

  it('fails under CI when a tool is missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => requireTool(missing)).toThrow(/chainmail-no-such-tool not found.*CI is set/);
  });

  it('skips with a printed reason elsewhere, once per tool', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(requireTool(missing)).toBeUndefined();
    expect(requireTool(missing)).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/skipping tests that need chainmail-no-such-tool/);
  });
});

describe('freePort and run', () => {
  it('gives a bindable loopback port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
  });

  it('runs a program with input and reports its exit code', async () => {
    expect(await run('sh', ['-c', 'cat; echo err >&2; exit 3'], 'in')).toEqual({ code: 3, stdout: 'in', stderr: 'err\n' });
  });
});
