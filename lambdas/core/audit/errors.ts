/** Raised when an audit record can't be built or stored. */
export class AuditLogError extends Error {
  public override readonly name = 'AuditLogError';
}
