import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** `?search=&offset=&limit=` of every list (API.md §7). */
export class PageQueryDto {
  /** Case-insensitive text to look for. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  search?: string;

  /** Items to skip. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset: number = 0;

  /** Items to return, at most 500. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
