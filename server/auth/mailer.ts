import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Transporter } from 'nodemailer';
import { ensurePrivateDir, writePrivateFile } from '../ops/private-files.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends mail through nodemailer: over SMTP when SMTP_URL is set, otherwise each message is
 * written as an .eml file under DATA_DIR/outbox/ and its path logged (never its content).
 * nodemailer is loaded with the first message, not at start (~3 MB of heap an idle server need
 * not hold; docs/performance.md, "Idle memory").
 */
export class Mailer {
  private transport: Promise<Transporter> | undefined;

  constructor(
    private readonly from: string,
    private readonly smtpUrl: string | undefined,
    private readonly outboxDir: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const smtpUrl = this.smtpUrl;
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      smtpUrl ? nodemailer.createTransport(smtpUrl) : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
    );
    const transport = await this.transport;
    const info = await transport.sendMail({ from: this.from, ...message });
    if (this.smtpUrl) {
      this.log.info({ messageId: info.messageId }, 'mail sent over SMTP');
      return;
    }
    ensurePrivateDir(this.outboxDir);
    const file = path.join(this.outboxDir, `${Date.now()}-${String(info.messageId).replace(/[^\w.-]/g, '')}.eml`);
    writePrivateFile(file, (info as unknown as { message: Buffer }).message);
    this.log.info({ file }, 'mail written to the outbox (no SMTP_URL set)');
  }
}
