import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Distributor } from './distributor.entity';
import { DistributorsController } from './distributors.controller';
import { DistributorsService } from './distributors.service';

/** Distributors: REST under /api/distributors. */
@Module({
  imports: [TypeOrmModule.forFeature([Distributor])],
  controllers: [DistributorsController],
  providers: [DistributorsService],
  exports: [DistributorsService],
})
export class DistributorsModule {}
