import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Courier } from '../couriers/courier.entity';
import { CourierCustomer } from './courier-customer.entity';
import { CourierCustomersController } from './courier-customers.controller';
import { CourierCustomersService } from './courier-customers.service';

/** Courier customers: REST under /api/couriers/{courierId}/customers. */
@Module({
  imports: [TypeOrmModule.forFeature([CourierCustomer, Courier])],
  controllers: [CourierCustomersController],
  providers: [CourierCustomersService],
  exports: [CourierCustomersService],
})
export class CourierCustomersModule {}
