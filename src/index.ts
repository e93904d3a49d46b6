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
export type * from './model/model.js';
export { compile, CompileError, TARGET_IDS, type CompileOptions, type MapType, type OutputFile, type Target as CompileTarget, type TargetId } from './compile/compile.js';
export { emit, writeArtifacts, type BuildInput, type EmitMeta, type Manifest, type WriteOptions, type WriteResult } from './compile/emit.js';
export { main } from './cli/main.js';
export type { CliIo } from './cli/io.js';
export { startRelay } from './relay/relay.js';
export type { RelayEvent, RelayHandle, RelayLimits, RelayOptions, RetryPolicy } from './relay/types.js';
