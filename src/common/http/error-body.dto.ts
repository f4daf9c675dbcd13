import { ApiProperty } from '@nestjs/swagger';

/** The body of every error outside the one-shot and courier imports (API.md §8). */
export class ErrorBodyDto {
  /** The HTTP status, repeated. @example 404 */
  code: number;

  /** What went wrong, in words a person can act on. @example "import session not found" */
  message: string;

  /** Details where there are some (a bad body: `errors: [{field, message}]`), else null. */
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: null })
  data: Record<string, unknown> | null;
}
