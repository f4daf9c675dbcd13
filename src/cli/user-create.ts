import { parseArgs } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource } from 'typeorm';
import { Role } from '../auth/permissions';
import { buildDataSourceOptions, runMigrations } from '../database/database-options';
import { hashPassword } from '../users/password';
import { CreateUserDto } from '../users/user.dto';
import { fail, withDatabase } from './cli-database';

const USAGE =
  'usage: npm run user:create -- --email <email> --password <password> --role <admin|manager|courier> [--courier-id <uuid>]';

/** `npm run user:create -- --email … --password … --role … [--courier-id …]`: creates a user account. */
async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        'courier-id': { type: 'string' },
      },
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const dto = plainToInstance(CreateUserDto, {
    email: values.email,
    password: values.password,
    role: values.role,
    courier_id: values['courier-id'],
  });
  const errors = validateSync(dto);
  if (errors.length > 0) {
    fail(`${errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ')}\n${USAGE}`);
  }
  if ((dto.role === Role.Courier) !== Boolean(dto.courier_id)) {
    fail(`--courier-id is required for, and only for, --role courier\n${USAGE}`);
  }

  await withDatabase(async (url) => {
    await runMigrations(url);
    const dataSource = await new DataSource(buildDataSourceOptions(url, 1)).initialize();
    try {
      if (dto.courier_id) {
        const found: unknown[] = await dataSource.query('SELECT 1 FROM couriers WHERE id = $1', [
          dto.courier_id,
        ]);
        if (found.length === 0) throw new Error(`courier ${dto.courier_id} does not exist`);
      }
      const inserted: { id: string }[] = await dataSource.query(
        `INSERT INTO users (email, password_hash, role, courier_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO NOTHING RETURNING id`,
        [dto.email, await hashPassword(dto.password), dto.role, dto.courier_id ?? null],
      );
      if (inserted.length === 0) throw new Error(`a user with the email ${dto.email} already exists`);
      process.stdout.write(`created ${dto.role} ${dto.email} (id ${inserted[0].id})\n`);
    } finally {
      await dataSource.destroy();
    }
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
);
