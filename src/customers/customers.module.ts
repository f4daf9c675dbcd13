import { Module } from '@nestjs/common';

/** Customers: REST under /api/customers. */
@Module({})
export class CustomersModule {}
