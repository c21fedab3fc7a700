import { AuditListInput, AuditPageSchema } from '../../client-sdk/src/schemas/audit.js';
import { router, staffProcedure } from '../trpc/init.js';

const tags = ['audit'];

/** The audit trail, read-only: nothing in the API edits or deletes an entry. */
export const auditRouter = router({
  list: staffProcedure('audit:read')
    .meta({
      openapi: {
        method: 'GET',
        path: '/audit',
        tags,
        summary: 'Audit entries, newest first',
        description:
          'Who did what, when and from where: every change and security-relevant act, appended in the same transaction as the act. ' +
          'Filters combine (AND). Entries are kept AUDIT_RETENTION_DAYS (default 365) and are never edited or deleted through the API.',
      },
    })
    .input(AuditListInput)
    .output(AuditPageSchema)
    .query(({ ctx, input }) => ctx.services.audit.list(input)),
});
