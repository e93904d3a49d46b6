import { describe, expect, it } from 'vitest';
import { compileRoutingTables } from '../../src/routing/compile.js';
import { loadModel } from '../../src/pipeline.js';
import { routeRecipient } from '../../src/relay/route.js';
import { repoRoot } from '../support/fixtures.js';

// Issue 14: the relay checks relay permission on the recipient the client sent, and routes a
// contact's targetAddress after accepting it, as the simulator's step() does.
describe('relay: a contact without a relay right to its target domain', () => {
  const loaded = loadModel('src/analyze/rules/remote-domain-relay/fixtures/valid/contact-without-relay.yaml', { cwd: repoRoot });
  const table = loaded.model ? compileRoutingTables(loaded.model).get('exchange') : undefined;
  const notSelf = (): boolean => false;

  it("forwards the contact's address from the internet to the partner", () => {
    expect(table).toBeDefined();
    const r = routeRecipient(table!, 'user@xo.one', 'internet', 0, notSelf);
    expect(r).toMatchObject({ kind: 'forward', address: 'user@partner.example', display: '[192.0.2.25]:25' });
  });

  it('refuses another address of the partner domain: 554 5.7.1', () => {
    expect(routeRecipient(table!, 'other@partner.example', 'internet', 0, notSelf)).toMatchObject({ kind: 'fail', code: 554, status: '5.7.1' });
  });
});
