import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { VAT_KEY_SQL } from './organization.rules';

/** The columns customers and distributors share (API.md §2). */
export abstract class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'company_name', type: 'text' })
  companyName: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'vat_number', type: 'text' })
  vatNumber: string;

  /** `lower(btrim(vat_number))`, indexed: what VAT look-ups compare. */
  @Column({
    name: 'vat_key',
    type: 'text',
    generatedType: 'STORED',
    asExpression: VAT_KEY_SQL,
    select: false,
  })
  vatKey: string;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ type: 'text', nullable: true })
  city: string | null;

  @Column({ name: 'main_contact', type: 'text', nullable: true })
  mainContact: string | null;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', default: 'it' })
  language: string;

  @Column({ type: 'text', nullable: true })
  notes: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'archived_at', type: 'timestamptz', nullable: true })
  archivedAt: Date | null;

  /** The import that last created or updated the record (null: the last write came from elsewhere). */
  @Column({ name: 'import_id', type: 'uuid', nullable: true })
  importId: string | null;
}
