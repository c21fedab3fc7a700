import { z } from 'zod';

/** What `POST /customers/import` answers. */
export const ImportReportSchema = z
  .object({
    importId: z.string().meta({ description: 'Names the import in its audit entry (target `import`)', example: 'imp_5f0c1d2e3a4b5c6d7e8f9a0b' }),
    read: z.number().int().meta({ description: 'Non-empty lines (NDJSON) or elements (array) read, malformed ones included' }),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int().meta({ description: 'Rows whose carried fields already equalled what is stored: nothing written, no event' }),
    rejected: z.number().int(),
    rejects: z
      .array(z.object({ line: z.number().int().meta({ description: '1-based line (NDJSON) or element (array)' }), message: z.string() }))
      .max(1000)
      .meta({ description: 'The first 1,000 rejected rows' }),
  })
  .meta({ id: 'ImportReport' });
export type ImportReport = z.output<typeof ImportReportSchema>;

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
