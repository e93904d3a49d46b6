/**
 * The keys of a system that its kind reads. The schema allows every key on every system
 * (one `system` definition) and says in each kind-specific key's description which kind
 * it is for, as its first words: "Postfix only:", "exchange-online only:",
 * "google-workspace only:". Those are the keys left out for the other kinds.
 * Undefined for a kind the schema does not know (the kind's own finding says so).
 */
export function keysForKind(system: { properties?: Record<string, unknown> } | undefined, kind: unknown): string[] | undefined {
  const properties = system?.properties ?? {};
  const kinds = (properties['kind'] as { enum?: unknown[] } | undefined)?.enum ?? [];
  if (typeof kind !== 'string' || !kinds.includes(kind)) return undefined;
  return Object.keys(properties).filter((key) => {
    const only = /^(\S+) only:/.exec((properties[key] as { description?: unknown }).description as string)?.[1]?.toLowerCase();
    return only === undefined || only === kind;
  });
}
