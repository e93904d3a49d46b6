/**
 * A structural check of Graphviz DOT (the grammar of https://graphviz.org/doc/info/lang.html,
 * without subgraphs and ports, which `chainmail graph` never writes). Used when the real
 * `dot` is not installed: returns the first problem, or undefined when the text parses.
 */
export function dotSyntaxError(text: string): string | undefined {
  const tokens: string[] = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|^#[^\n]*|("(?:\\[\s\S]|[^"\\])*")|(->|--|[{}[\];,=])|(-?(?:\.\d+|\d+(?:\.\d*)?))|([A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)|([\s\S])/gmy;
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) {
    if (m[5] !== undefined) return `unexpected character ${JSON.stringify(m[5])} at offset ${m.index}`;
    const t = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (t !== undefined) tokens.push(t);
    if (re.lastIndex >= text.length) break;
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const isId = (t: string | undefined): boolean => t !== undefined && !/^(->|--|[{}[\];,=])$/.test(t);
  const expectTok = (t: string): string | undefined => (tokens[i++] === t ? undefined : `expected ${JSON.stringify(t)} at token ${i - 1}, got ${JSON.stringify(tokens[i - 1])}`);
  const attrList = (): string | undefined => {
    while (peek() === '[') {
      i++;
      while (peek() !== ']') {
        if (!isId(peek())) return `expected an attribute name at token ${i}, got ${JSON.stringify(peek())}`;
        i++;
        const e = expectTok('=');
        if (e) return e;
        if (!isId(peek())) return `expected an attribute value at token ${i}`;
        i++;
        if (peek() === ',' || peek() === ';') i++;
      }
      i++;
    }
    return undefined;
  };
  if (peek()?.toLowerCase() === 'strict') i++;
  const kind = tokens[i++]?.toLowerCase();
  if (kind !== 'digraph' && kind !== 'graph') return 'expected graph or digraph';
  const edgeOp = kind === 'digraph' ? '->' : '--';
  if (isId(peek()) && peek() !== '{') i++;
  const open = expectTok('{');
  if (open) return open;
  while (peek() !== '}') {
    const t = peek();
    if (t === undefined) return 'unexpected end: missing "}"';
    if (t === ';') {
      i++;
      continue;
    }
    if (!isId(t)) return `expected a statement at token ${i}, got ${JSON.stringify(t)}`;
    i++;
    if (['graph', 'node', 'edge'].includes(t.toLowerCase()) && peek() === '[') {
      const e = attrList();
      if (e) return e;
    } else if (peek() === '=') {
      i++;
      if (!isId(peek())) return `expected a value at token ${i}`;
      i++;
    } else {
      while (peek() === '->' || peek() === '--') {
        if (peek() !== edgeOp) return `wrong edge operator ${peek()} in a ${kind}`;
        i++;
        if (!isId(peek())) return `expected a node id after the edge operator at token ${i}`;
        i++;
      }
      const e = attrList();
      if (e) return e;
    }
    if (peek() === ';') i++;
  }
  i++;
  return i === tokens.length ? undefined : `text after the closing "}" at token ${i}`;
}
