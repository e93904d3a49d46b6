/**
 * chainmail: a config-as-code compiler and linter for shared SMTP address spaces.
 * The library entry: load -> validate -> analyze -> compile -> route -> relay.
 * @packageDocumentation
 */
export { loadModel, type LoadedModel, type LoadOptions } from './pipeline.js';
export { lint, type LintOptions, type LintResult } from './analyze/lint.js';
export { rules } from './analyze/registry.js';
export type { Rule, RuleContext, Report } from './analyze/rule.js';
export type { Diagnostic, Finding, Fix, Path, RelatedLocation, Severity, SeveritySetting, Span, Target } from './diagnostics/diagnostic.js';
export type { Locator, PathOrigins } from './diagnostics/locate.js';
export type { Origin as SourceOrigin, Origins } from './load/origins.js';
export type { Source, SourceStore } from './diagnostics/source-store.js';
export type * from './model/model.js';
export { compile, CompileError, TARGET_IDS, targets, type CompileOptions, type MapType, type OutputFile, type Target as CompileTarget, type TargetId } from './compile/compile.js';
export { emit, writeArtifacts, type BuildInput, type EmitMeta, type IgnoredClaim, type Manifest, type WriteOptions, type WriteResult } from './compile/emit.js';
export { compileRoutingTables } from './routing/compile.js';
export { planChanges as plan, type FileChange } from './compile/plan-files.js';
export type { AcceptedDomain, ConnectorEntry, HopHost, NextHop, RecipientEntry, RoutingTable } from './routing/table.js';
export { route, type RouteOptions } from './route/route.js';
export { resolve, recipientKey, type Decision, type Origin, type Reason, type RecipientKey, type ResolveContext } from './routing/resolve.js';
export { Simulator, type Hop, type Outcome, type OutcomeKind, type Route, type SimulateOptions } from './route/simulate.js';
export { checkExpectation, type TestResult } from './routing/expect.js';
export { CHANGE_KINDS, routeDiff, type RouteChange, type RouteChangeKind, type RouteDiff, type RouteDiffOptions, type RouteView, type Probe } from './route/route-diff.js';
export { loadRoutingTable } from './routing/load-table.js';
export { main } from './cli/main.js';
export type { CliIo } from './cli/io.js';
export { startRelay } from './relay/relay.js';
export type { RelayEvent, RelayHandle, RelayLimits, RelayOptions, RetryPolicy } from './relay/types.js';
