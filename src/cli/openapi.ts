import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serializeOpenApi } from '../openapi-document';

/** The repository root, from `src/cli` or `dist/src/cli`. */
const ROOT = join(__dirname, __dirname.includes(`${join('dist', 'src')}`) ? '../../..' : '../..');

/**
 * `npm run openapi`: writes the OpenAPI document to `openapi.json` at the repository root, or to stdout with
 * `--stdout`. Run from the build (`dist/`): the Swagger plugin of `nest build` reads the DTOs' comments.
 */
buildOpenApiDocument().then(
  (document) => {
    const text = serializeOpenApi(document);
    if (process.argv.includes('--stdout')) {
      process.stdout.write(text);
    } else {
      writeFileSync(join(ROOT, 'openapi.json'), text);
      process.stdout.write(`wrote openapi.json (${Object.keys(document.paths).length} paths)\n`);
    }
  },
  (error: unknown) => {
    process.stderr.write(`openapi: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
