// stream-json publishes its modules through package exports (`stream-json/parser.js`), which the compiler's
// CommonJS resolution does not read: what Rowgate uses of the parser is declared here.
declare module 'stream-json/parser.js' {
  import { Duplex, DuplexOptions } from 'node:stream';

  /** A token of the parser: `startObject`, `startKey`, `stringChunk`, `endString`… with its text, if any. */
  export interface Token {
    name: string;
    value?: unknown;
  }

  export interface ParserOptions extends DuplexOptions {
    packKeys?: boolean;
    packStrings?: boolean;
    packNumbers?: boolean;
  }

  /** A parser as a Duplex stream: text in, {@link Token}s out. */
  export function asStream(options?: ParserOptions): Duplex;
}
