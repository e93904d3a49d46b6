import type { Rule } from './rule.js';
import { authorityConflict } from './rules/authority-conflict/authority-conflict.js';
import { backscatterRisk } from './rules/backscatter-risk/backscatter-risk.js';
import { centralizedTransportLoop } from './rules/centralized-transport-loop/centralized-transport-loop.js';
import { chainOrderMismatch } from './rules/chain-order-mismatch/chain-order-mismatch.js';
import { chainWithoutAuthority } from './rules/chain-without-authority/chain-without-authority.js';
import { cloudAuthoritativeShared } from './rules/cloud-authoritative-shared/cloud-authoritative-shared.js';
import { connectorLeavesOrganization } from './rules/connector-leaves-organization/connector-leaves-organization.js';
import { contactAddressNotAccepted } from './rules/contact-address-not-accepted/contact-address-not-accepted.js';
import { contactMissingNickname } from './rules/contact-missing-nickname/contact-missing-nickname.js';
import { contactPrimaryMismatch } from './rules/contact-primary-mismatch/contact-primary-mismatch.js';
import { contactTargetLoop } from './rules/contact-target-loop/contact-target-loop.js';
import { contactTargetUnroutable } from './rules/contact-target-unroutable/contact-target-unroutable.js';
import { dbebOffBackscatter } from './rules/dbeb-off-backscatter/dbeb-off-backscatter.js';
import { defaultPolicyNotAuthoritative } from './rules/default-policy-not-authoritative/default-policy-not-authoritative.js';
import { defaultPolicyShared } from './rules/default-policy-shared/default-policy-shared.js';
import { dmarcRejectWithoutDkim } from './rules/dmarc-reject-without-dkim/dmarc-reject-without-dkim.js';
import { duplicateAddress } from './rules/duplicate-address/duplicate-address.js';
import { forwardingLoop } from './rules/forwarding-loop/forwarding-loop.js';
import { forwardingWithoutSrs } from './rules/forwarding-without-srs/forwarding-without-srs.js';
import { hopLimit } from './rules/hop-limit/hop-limit.js';
import { internalRelayWithoutConnector } from './rules/internal-relay-without-connector/internal-relay-without-connector.js';
import { invalidAddress } from './rules/invalid-address/invalid-address.js';
import { messageSizeShrinks } from './rules/message-size-shrinks/message-size-shrinks.js';
import { missingConnector } from './rules/missing-connector/missing-connector.js';
import { mxNotAtGateway } from './rules/mx-not-at-gateway/mx-not-at-gateway.js';
import { mydestinationConflict } from './rules/mydestination-conflict/mydestination-conflict.js';
import { noAuthority } from './rules/no-authority/no-authority.js';
import { pathOutsideRepository } from './rules/path-outside-repository/path-outside-repository.js';
import { relayNotAllowed } from './rules/relay-not-allowed/relay-not-allowed.js';
import { remoteDomainRelay } from './rules/remote-domain-relay/remote-domain-relay.js';
import { remotePolicyAuthoritative } from './rules/remote-policy-authoritative/remote-policy-authoritative.js';
import { remotePolicyFilter } from './rules/remote-policy-filter/remote-policy-filter.js';
import { schema } from './rules/schema/schema.js';
import { sharedAuthoritative } from './rules/shared-authoritative/shared-authoritative.js';
import { smartHostBrackets } from './rules/smart-host-brackets/smart-host-brackets.js';
import { spfMissingSender } from './rules/spf-missing-sender/spf-missing-sender.js';
import { spfTooManyLookups } from './rules/spf-too-many-lookups/spf-too-many-lookups.js';
import { spfVoidLookup } from './rules/spf-void-lookup/spf-void-lookup.js';
import { splitDeliveryLoop } from './rules/split-delivery-loop/split-delivery-loop.js';
import { spreadsheetFormula } from './rules/spreadsheet-formula/spreadsheet-formula.js';
import { testFailed } from './rules/test-failed/test-failed.js';
import { undeclaredDomain } from './rules/undeclared-domain/undeclared-domain.js';
import { unknownReference } from './rules/unknown-reference/unknown-reference.js';
import { unreachableRecipient } from './rules/unreachable-recipient/unreachable-recipient.js';
import { unreachableSystem } from './rules/unreachable-system/unreachable-system.js';
import { unresolvedForwarding } from './rules/unresolved-forwarding/unresolved-forwarding.js';
import { unusedDomain } from './rules/unused-domain/unused-domain.js';
import { yamlSyntax } from './rules/yaml-syntax/yaml-syntax.js';

/**
 * Every rule, written in id order (not sorted at run time: test/rules-meta.test.ts checks
 * this list as written). Explicit on purpose: no file-system discovery. The meta-test also
 * fails when a rule lacks its docs page, tests or fixtures.
 * @public
 */
export const rules: readonly Rule[] = [
  authorityConflict,
  backscatterRisk,
  centralizedTransportLoop,
  chainOrderMismatch,
  chainWithoutAuthority,
  cloudAuthoritativeShared,
  connectorLeavesOrganization,
  contactAddressNotAccepted,
  contactMissingNickname,
  contactPrimaryMismatch,
  contactTargetLoop,
  contactTargetUnroutable,
  dbebOffBackscatter,
  defaultPolicyNotAuthoritative,
  defaultPolicyShared,
  dmarcRejectWithoutDkim,
  duplicateAddress,
  forwardingLoop,
  forwardingWithoutSrs,
  hopLimit,
  internalRelayWithoutConnector,
  invalidAddress,
  messageSizeShrinks,
  missingConnector,
  mxNotAtGateway,
  mydestinationConflict,
  noAuthority,
  pathOutsideRepository,
  relayNotAllowed,
  remoteDomainRelay,
  remotePolicyAuthoritative,
  remotePolicyFilter,
  schema,
  sharedAuthoritative,
  smartHostBrackets,
  spfMissingSender,
  spfTooManyLookups,
  spfVoidLookup,
  splitDeliveryLoop,
  spreadsheetFormula,
  testFailed,
  undeclaredDomain,
  unknownReference,
  unreachableRecipient,
  unreachableSystem,
  unresolvedForwarding,
  unusedDomain,
  yamlSyntax,
];

/** Rules by id. */
export const ruleById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]));
