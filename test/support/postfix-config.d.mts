/** Types of postfix-config.mjs (plain JavaScript: the benchmark runs it without a build). */
export declare function postfixIds(): { uid: number; gid: number };
export declare function masterCf(port: number): string;
export declare function baseMainCf(dir: string, hostname: string): string[];
export declare function deployArtifacts(options: { artifacts: string; config: string; maps: string; mapType?: string; postmap: string; postconf: string }): void;
export declare function ensureLogQueue(): void;
export declare function stopPostfix(options: { postfix: string; config: string; pidFile: string; ms?: number }): Promise<'stopped' | 'failed' | 'killed'>;
