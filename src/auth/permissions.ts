/**
 * Roles and what each may do: the single source of truth for authorisation (API.md §1).
 * Guards read only this table; routes name permissions, never roles.
 */
export enum Role {
  Admin = 'admin',
  Manager = 'manager',
  Courier = 'courier',
}

export const ROLES = Object.values(Role);

export enum Permission {
  /** Distributors validate/confirm, and the distributors REST writes. */
  DistributorImport = 'distributor:import',
  /** Customers validate/confirm, and the customers REST writes. */
  CustomerImport = 'customer:import',
  /** The one-shot `POST /api/customers/import` (admin only). */
  CustomerImportOneShot = 'customer:import-one-shot',
  /** Courier customers: import and create (a courier only for its own courier). */
  CustomerAdd = 'customer:add',
  /** Read customers and distributors. */
  DirectoryRead = 'directory:read',
  /** Manage user accounts and couriers. */
  AccountManage = 'account:manage',
}

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  [Role.Admin]: [
    Permission.DistributorImport,
    Permission.CustomerImport,
    Permission.CustomerImportOneShot,
    Permission.CustomerAdd,
    Permission.DirectoryRead,
    Permission.AccountManage,
  ],
  [Role.Manager]: [Permission.CustomerImport, Permission.CustomerAdd, Permission.DirectoryRead],
  [Role.Courier]: [Permission.CustomerAdd],
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}

/** The authenticated caller, as every handler sees it. */
export interface AuthUser {
  id: string;
  role: Role;
  /** Set for (and only for) courier users: the courier account the user belongs to. */
  courierId: string | null;
  email?: string;
  /** The version of the user's account a token of this service was issued for (`ver`). */
  tokenVersion?: number;
}
