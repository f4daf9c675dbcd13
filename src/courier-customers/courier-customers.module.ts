import { Module } from '@nestjs/common';

/** Courier customers: REST under /api/couriers/{courierId}/customers. */
@Module({})
export class CourierCustomersModule {}
