import { Module } from '@nestjs/common';

/** Distributors: REST under /api/distributors. */
@Module({})
export class DistributorsModule {}
