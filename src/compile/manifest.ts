/** What the artifacts were built from (the CLI reads the files; compile never does). @public */
export interface BuildInput {
  /** The main file's name as shown in headers (no directory: the same on every checkout). */
  readonly file: string;
  /** sha256 of the input: of the main file alone, or of `sha256sum`-style lines over every file read. */
  readonly sha256: string;
  /** Every file read (main file, includes, mailbox files), relative to the main file's directory. */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

/** manifest.json: every file written with its sha256, the input's sha256, chainmail's version. @public */
export interface Manifest {
  readonly version: 1;
  readonly chainmail: string;
  readonly input: BuildInput;
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly bytes: number }[];
}
