import type { Rule } from './rule.js';
import { authorityConflict } from './rules/authority-conflict/authority-conflict.js';
import { backscatterRisk } from './rules/backscatter-risk/backscatter-risk.js';
import { chainOrderMismatch } from './rules/chain-order-mismatch/chain-order-mismatch.js';
import { chainWithoutAuthority } from './rules/chain-without-authority/chain-without-authority.js';
import { connectorLeavesOrganization } from './rules/connector-leaves-organization/connector-leaves-organization.js';
import { contactAddressNotAccepted } from './rules/contact-address-not-accepted/contact-address-not-accepted.js';
import { contactMissingNickname } from './rules/contact-missing-nickname/contact-missing-nickname.js';
import { contactPrimaryMismatch } from './rules/contact-primary-mismatch/contact-primary-mismatch.js';
import { contactTargetLoop } from './rules/contact-target-loop/contact-target-loop.js';
import { contactTargetUnroutable } from './rules/contact-target-unroutable/contact-target-unroutable.js';
import { defaultPolicyNotAuthoritative } from './rules/default-policy-not-authoritative/default-policy-not-authoritative.js';
import { defaultPolicyShared } from './rules/default-policy-shared/default-policy-shared.js';
import { duplicateAddress } from './rules/duplicate-address/duplicate-address.js';
import { forwardingLoop } from './rules/forwarding-loop/forwarding-loop.js';
import { hopLimit } from './rules/hop-limit/hop-limit.js';
import { invalidAddress } from './rules/invalid-address/invalid-address.js';
import { missingConnector } from './rules/missing-connector/missing-connector.js';
import { noAuthority } from './rules/no-authority/no-authority.js';
import { relayNotAllowed } from './rules/relay-not-allowed/relay-not-allowed.js';
import { remotePolicyAuthoritative } from './rules/remote-policy-authoritative/remote-policy-authoritative.js';
import { remotePolicyFilter } from './rules/remote-policy-filter/remote-policy-filter.js';
import { schema } from './rules/schema/schema.js';
import { sharedAuthoritative } from './rules/shared-authoritative/shared-authoritative.js';
import { smartHostBrackets } from './rules/smart-host-brackets/smart-host-brackets.js';
import { spreadsheetFormula } from './rules/spreadsheet-formula/spreadsheet-formula.js';
import { testFailed } from './rules/test-failed/test-failed.js';
import { undeclaredDomain } from './rules/undeclared-domain/undeclared-domain.js';
import { unknownReference } from './rules/unknown-reference/unknown-reference.js';
import { unresolvedForwarding } from './rules/unresolved-forwarding/unresolved-forwarding.js';
import { unreachableRecipient } from './rules/unreachable-recipient/unreachable-recipient.js';
import { unreachableSystem } from './rules/unreachable-system/unreachable-system.js';
import { unusedDomain } from './rules/unused-domain/unused-domain.js';
import { yamlSyntax } from './rules/yaml-syntax/yaml-syntax.js';

/**
 * Every rule, in id order. Explicit on purpose: no file-system discovery. A meta-test
 * (test/rules-meta.test.ts) fails when a rule lacks its docs page, tests or fixtures.
 * @public
 */
export const rules: readonly Rule[] = [
  authorityConflict,
  backscatterRisk,
  chainOrderMismatch,
  chainWithoutAuthority,
  connectorLeavesOrganization,
  contactAddressNotAccepted,
  contactMissingNickname,
  contactPrimaryMismatch,
  contactTargetLoop,
  contactTargetUnroutable,
  defaultPolicyNotAuthoritative,
  defaultPolicyShared,
  duplicateAddress,
  forwardingLoop,
  hopLimit,
  invalidAddress,
  missingConnector,
  noAuthority,
  relayNotAllowed,
  remotePolicyAuthoritative,
  remotePolicyFilter,
  schema,
  sharedAuthoritative,
  smartHostBrackets,
  spreadsheetFormula,
  testFailed,
  undeclaredDomain,
  unknownReference,
  unresolvedForwarding,
  unreachableRecipient,
  unreachableSystem,
  unusedDomain,
  yamlSyntax,
].sort((a, b) => (a.id < b.id ? -1 : 1));

/** Rules by id. */
export const ruleById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]));
