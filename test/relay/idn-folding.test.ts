import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maildir, message, startLocalGateway, type Org, type TestRelay } from './support/org.js';
import { RawSmtp, sendOnce } from './support/smtp-client.js';

/**
 * An internationalised domain at the relay: its A-label is plain ASCII and needs no
 * SMTPUTF8 (RFC 5890 section 2.3.2.1, RFC 6531 section 3.4), its U-label does; and
 * recipients compare case-folded as Postfix compares them (src/normalize/casefold.ts).
 */
let org: Org;
let gw: TestRelay;

beforeAll(async () => {
  ({ org, gw } = await startLocalGateway('idn', ['例え.jp', 'example.test'], ['佐藤@例え.jp', 'sato@例え.jp', 'straße@example.test']));
});

afterAll(async () => {
  await gw?.close();
  org?.cleanup();
});

async function rcpt(mailFrom: string, to: string): Promise<string> {
  const { client } = await RawSmtp.open(gw.address().port);
  await client.cmd('EHLO client.test');
  const m = await client.cmd(`MAIL FROM:${mailFrom}`);
  expect(m.code, m.raw).toBe(250);
  const r = await client.cmd(`RCPT TO:<${to}>`);
  await client.quit();
  return r.raw;
}

describe('IDN addresses and case folding at the relay', () => {
  it.each([
    ['an A-label without SMTPUTF8', '<s@outside.test>', 'sato@xn--r8jz45g.jp', /^250 /],
    ['an upper-case A-label without SMTPUTF8', '<s@outside.test>', 'SATO@XN--R8JZ45G.JP', /^250 /],
    ['a U-label without SMTPUTF8', '<s@outside.test>', 'sato@例え.jp', /^553 5\.6\.7 /],
    ['a U-label with SMTPUTF8', '<s@outside.test> SMTPUTF8', 'sato@例え.jp', /^250 /],
    ['a UTF-8 local part at the A-label without SMTPUTF8', '<s@outside.test>', '佐藤@xn--r8jz45g.jp', /^553 5\.6\.7 /],
    ['an unknown recipient at the A-label', '<s@outside.test>', 'nobody@xn--r8jz45g.jp', /^550 5\.1\.1 /],
    ['STRASSE for the mailbox straße (full case folding)', '<s@outside.test>', 'STRASSE@example.test', /^250 /],
  ])('RCPT of %s', async (_what, from, to, want) => {
    expect(await rcpt(from, to)).toMatch(want);
  });

  it('a sender at an A-label needs no SMTPUTF8 either; a U-label sender does', async () => {
    const a = await RawSmtp.open(gw.address().port);
    await a.client.cmd('EHLO client.test');
    expect((await a.client.cmd('MAIL FROM:<x@xn--r8jz45g.jp>')).code).toBe(250);
    await a.client.quit();
    const u = await RawSmtp.open(gw.address().port);
    await u.client.cmd('EHLO client.test');
    expect((await u.client.cmd('MAIL FROM:<x@例え.jp>')).raw).toMatch(/^553 5\.6\.7 /);
    await u.client.quit();
  });

  // a Maildir is named by the mailbox's comparison key: folded, the domain as an A-label
  it('delivers STRASSE@ and sato@XN--... to the mailboxes straße@ and sato@例え.jp', async () => {
    const r = await sendOnce(gw.address().port, 's@outside.test', ['STRASSE@example.test', 'sato@XN--R8JZ45G.JP'], message('fold'));
    expect(r.ok, JSON.stringify(r.replies)).toBe(true);
    await gw.idle();
    expect(maildir(gw.spoolDir, 'strasse@example.test')).toHaveLength(1);
    expect(maildir(gw.spoolDir, 'sato@xn--r8jz45g.jp')).toHaveLength(1);
  });
});
