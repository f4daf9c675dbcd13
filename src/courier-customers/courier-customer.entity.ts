import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A customer of a courier (API.md §2); `user_code` is unique within its courier. */
@Entity({ name: 'courier_customers' })
export class CourierCustomer {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'courier_id', type: 'uuid' })
  courierId: string;

  @Column({ name: 'user_code', type: 'text' })
  userCode: string;

  @Column({ name: 'first_name', type: 'text' })
  firstName: string;

  @Column({ name: 'last_name', type: 'text' })
  lastName: string;

  @Column({ type: 'text', nullable: true })
  branch: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** The import that last created or updated the record (null: the last write came from elsewhere). */
  @Column({ name: 'import_id', type: 'uuid', nullable: true })
  importId: string | null;
}
