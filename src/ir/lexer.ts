// Textual IR lexer: a cursor over one line of IR text; every error it raises is SAC031 with the line number.
import { fail } from '../diagnostics.js';

const RE_IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const RE_BARE_NAME = /[A-Za-z_][A-Za-z0-9_.\-/:]*/y;
const RE_NUMBER = /(?:-?inf|nan)(?![A-Za-z0-9_])|-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const RE_HEX8 = /[0-9a-f]{8}(?![A-Za-z0-9_])/y;

export function perr(line: number, detail: string): never {
  return fail('SAC031', `line ${line}: ${detail}`);
}

/** Cursor over one line of text. */
export class Lexer {
  pos = 0;
  constructor(readonly text: string, readonly line: number) {}

  err(detail: string): never {
    return perr(this.line, detail);
  }

  private ws(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  private found(): string {
    this.ws();
    if (this.pos >= this.text.length) return 'end of line';
    return `'${this.text.slice(this.pos, this.pos + 12)}'`;
  }

  atEnd(): boolean {
    this.ws();
    return this.pos >= this.text.length;
  }

  peek(): string {
    this.ws();
    return this.text[this.pos] ?? '';
  }

  tryChar(c: string): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  expect(c: string, what = `'${c}'`): void {
    if (!this.tryChar(c)) this.err(`expected ${what} at column ${this.pos + 1}, found ${this.found()}`);
  }

  private match(re: RegExp): string | undefined {
    this.ws();
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  ident(what = 'an identifier'): string {
    return this.match(RE_IDENT) ?? this.err(`expected ${what} at column ${this.pos + 1}, found ${this.found()}`);
  }

  tryIdent(): string | undefined {
    return this.match(RE_IDENT);
  }

  keyword(kw: string): void {
    const start = this.pos;
    const id = this.match(RE_IDENT);
    if (id !== kw) { this.pos = start; this.err(`expected '${kw}' at column ${start + 1}, found ${this.found()}`); }
  }

  number(what = 'a number'): number {
    const s = this.match(RE_NUMBER);
    if (s === undefined) return this.err(`expected ${what} at column ${this.pos + 1}, found ${this.found()}`);
    if (s === 'inf') return Infinity;
    if (s === '-inf') return -Infinity;
    if (s === 'nan') return NaN;
    return Number(s);
  }

  int(what: string): number {
    const n = this.number(what);
    if (!Number.isInteger(n)) this.err(`expected ${what} (an integer), got ${n}`);
    return n;
  }

  hex8(): string {
    return this.match(RE_HEX8) ?? this.err(`expected 8 lowercase hex digits at column ${this.pos + 1}`);
  }

  /** A JSON string literal starting at the cursor. */
  string(what = 'a string'): string {
    if (this.peek() !== '"') this.err(`expected ${what} at column ${this.pos + 1}, found ${this.found()}`);
    const start = this.pos;
    let i = start + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) this.err(`unterminated string at column ${start + 1}`);
    const lit = this.text.slice(start, i + 1);
    try {
      const s = JSON.parse(lit) as string;
      this.pos = i + 1;
      return s;
    } catch {
      return this.err(`invalid string literal ${lit}`);
    }
  }

  /** `%name` or `%"quoted name"`. */
  valueName(): string {
    this.expect('%', 'a value (%name)');
    if (this.text[this.pos] === '"') return this.string('a value name');
    RE_BARE_NAME.lastIndex = this.pos;
    const m = RE_BARE_NAME.exec(this.text);
    if (!m) this.err(`expected a value name after '%' at column ${this.pos + 1}`);
    this.pos += m[0].length;
    return m[0];
  }

  end(): void {
    if (!this.atEnd()) this.err(`unexpected ${this.found()} at column ${this.pos + 1}`);
  }
}

