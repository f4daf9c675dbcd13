import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Courier } from '../couriers/courier.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UserChangesService } from './user-changes.service';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Courier])],
  controllers: [UsersController],
  providers: [UsersService, UserChangesService],
  exports: [UsersService],
})
export class UsersModule {}
