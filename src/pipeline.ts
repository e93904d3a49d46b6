import type { Finding } from './diagnostics/diagnostic.js';
import { Locator } from './diagnostics/locate.js';
import type { SourceStore } from './diagnostics/source-store.js';
import { load, type ParsedAhead } from './load/load.js';
import type { ChainmailFile, Model } from './model/model.js';
import { normalize } from './normalize/normalize.js';
import { validate } from './validate/validate.js';

/** A loaded chainmail file: the model (when the file is usable) and the findings so far. @public */
export interface LoadedModel {
  /** The main file as given. */
  readonly file: string;
  /** Undefined when the file did not parse or is not a mapping with version 1. */
  readonly model?: Model;
  /** yaml-syntax and schema findings. */
  readonly findings: readonly Finding[];
  readonly sources: SourceStore;
  readonly locator: Locator;
  /** A one-line message when the file (or an include, or a mailbox file) cannot be read at all. */
  readonly fatal?: string;
  /** Every file read (main file, includes, mailbox files): absolute path as named, sha256 of the bytes. */
  readonly read: readonly { readonly path: string; readonly sha256: string }[];
}

/** Options of {@link loadModel}. @public */
export interface LoadOptions {
  /** Directory that relative paths are shown relative to (default: process.cwd()). */
  readonly cwd?: string;
  /**
   * Directories outside the repository that includes and mailbox files may also be read from
   * (`--allow-path`); relative to `cwd`. Everything else outside is a `path-outside-repository` finding.
   */
  readonly allowPaths?: readonly string[];
  /** The repository whose files may be read: default the git top level of `file`, or its directory outside git. */
  readonly root?: string;
}

/**
 * Loads, validates and normalises a chainmail file: load -> validate -> normalize.
 * What fails the schema is left out as narrowly as it can be (an unknown key, a bad value,
 * an object only when a value it requires is unusable), so later stages still see the rest.
 * @public
 */
export function loadModel(file: string, options: LoadOptions = {}): LoadedModel {
  return loadModelParsedAhead(file, options, undefined);
}

/**
 * {@link loadModel} given YAML files the caller parsed already (`plan --base`: the includes
 * of a revision, found by parsing its files before they are loaded; src/load/load.ts).
 */
export function loadModelParsedAhead(file: string, options: LoadOptions, parsedAhead: Map<string, ParsedAhead> | undefined): LoadedModel {
  const cwd = options.cwd ?? process.cwd();
  const loaded = load(file, cwd, {
    ...(options.allowPaths ? { allowPaths: options.allowPaths } : {}),
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(parsedAhead !== undefined ? { parsedAhead } : {}),
  });
  const mainFile = loaded.origins.resolve([])?.file ?? file;
  const locator = new Locator(loaded.sources, loaded.origins, mainFile);
  const base = { file: mainFile, sources: loaded.sources, locator, read: loaded.read };
  if (loaded.fatal) return { ...base, findings: loaded.findings, fatal: loaded.fatal };
  if (loaded.config === undefined) return { ...base, findings: loaded.findings };
  const v = validate(loaded.config);
  const findings = [...loaded.findings, ...v.findings];
  if (v.fatal) return { ...base, findings };
  const model = normalize(mainFile, v.value as unknown as ChainmailFile, loaded.mailboxFiles, v.rejected);
  return { ...base, model, findings };
}
