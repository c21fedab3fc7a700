import fs from 'node:fs';
import path from 'node:path';

/** One message the mailer wrote to `<dataDir>/outbox/` (no SMTP_URL set). */
export interface OutboxMail {
  file: string;
  headers: Record<string, string>;
  to: string;
  subject: string;
  /** The body, transfer-decoded (quoted-printable or base64) to plain text. */
  text: string;
  raw: string;
}

export const outboxDir = (dataDir: string) => path.join(dataDir, 'outbox');

/** Quoted-printable → text: soft line breaks removed, `=XX` bytes decoded as UTF-8. */
export function decodeQuotedPrintable(input: string): string {
  const joined = input.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseEml(raw: string, file = ''): OutboxMail {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  // Unfold continuation lines, then read `Name: value`.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = line.match(/^([\w-]+):\s*(.*)$/);
    if (m) headers[m[1]!.toLowerCase()] = m[2]!;
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return { file, headers, to: headers.to ?? '', subject: headers.subject ?? '', text, raw };
}

/** Every .eml in the outbox, oldest first (the mailer names them `<epoch ms>-<message id>.eml`). */
export function readOutbox(dataDir: string): OutboxMail[] {
  const dir = outboxDir(dataDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => parseEml(fs.readFileSync(path.join(dir, f), 'utf8'), path.join(dir, f)));
}

export const mailsTo = (dataDir: string, email: string) => readOutbox(dataDir).filter((m) => m.to.toLowerCase() === email.toLowerCase());

/**
 * Waits until `<dataDir>/outbox/` holds `count` mails to `email` (the server sends reset mail in
 * the background, after it has answered) and returns them, oldest first.
 */
export async function waitForMails(dataDir: string, email: string, count = 1, timeoutMs = 5_000): Promise<OutboxMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = mailsTo(dataDir, email);
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s) to ${email} in ${outboxDir(dataDir)}, found ${mails.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The newest mail to `email`, waiting for the `count`-th one to arrive. */
export async function waitForMail(dataDir: string, email: string, count = 1, timeoutMs = 5_000): Promise<OutboxMail> {
  const mails = await waitForMails(dataDir, email, count, timeoutMs);
  return mails[mails.length - 1]!;
}

/** The reset link in a reset mail: `<publicUrl>/reset?token=...`. */
export function resetLink(mail: OutboxMail): URL {
  const m = mail.text.match(/https?:\/\/\S+\/reset\?token=\S+/);
  if (!m) throw new Error(`no reset link in ${mail.file}:\n${mail.text}`);
  return new URL(m[0]);
}

export function resetToken(mail: OutboxMail): string {
  const token = resetLink(mail).searchParams.get('token');
  if (!token) throw new Error(`no token in the reset link of ${mail.file}`);
  return token;
}
