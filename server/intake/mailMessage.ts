/**
 * One inbound e-mail as the intake reads it: sender, subject, plain text, threading headers and
 * attachment facts, plus the problems found while reading it. Parsing never throws: a message
 * that cannot be read becomes an InboundMail with a problem, so it ends up as an intake item
 * with a reason instead of being lost or stopping the mailbox. No I/O (mailparser works on the
 * bytes given).
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

/** Longest text kept from a message body (the ticket's comment limit). */
export const MAX_TEXT_CHARS = 10_000;
const MAX_SUBJECT_CHARS = 300;
/** Threading ids kept from In-Reply-To/References (a long thread lists many; the newest are last). */
const MAX_THREAD_IDS = 50;

export interface MailAttachment {
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
}

export interface InboundMail {
  /** Message-ID with its angle brackets, or null when the message has none. */
  readonly messageId: string | null;
  /** Sender address, lower case; null when there is no usable From. */
  readonly from: string | null;
  readonly fromName: string | null;
  readonly subject: string;
  /** Plain text (from the HTML part when there is no text part), cut to MAX_TEXT_CHARS. */
  readonly text: string;
  /** In-Reply-To and References ids, deduplicated. */
  readonly threadIds: readonly string[];
  readonly date: number | null;
  /** Attachments are described, not kept (docs/email-intake.md). */
  readonly attachments: readonly MailAttachment[];
  /** What was wrong with the message; each is a reason an intake item shows. */
  readonly problems: readonly string[];
}

export interface ReadLimits {
  /** The whole message was larger than the intake accepts: `raw` holds its header only. */
  readonly tooLarge?: { readonly size: number; readonly limit: number };
}

const MESSAGE_ID = /<[^<>\s]{1,500}>/g;

function idsOf(value: string | string[] | undefined): string[] {
  const all = (Array.isArray(value) ? value : value === undefined ? [] : [value]).join(' ');
  return all.match(MESSAGE_ID) ?? [];
}

function firstAddress(from: AddressObject | AddressObject[] | undefined): { address: string; name: string } | null {
  const list = Array.isArray(from) ? from : from ? [from] : [];
  for (const group of list) {
    for (const a of group.value) {
      if (a.address && /^[^\s@<>]+@[^\s@<>]+$/.test(a.address)) return { address: a.address.toLowerCase(), name: a.name };
    }
  }
  return null;
}

/** Charsets a message declares (for the reason when text does not decode). */
function declaredCharsets(raw: Buffer): string[] {
  const head = raw.subarray(0, 256 * 1024).toString('latin1');
  return [...new Set([...head.matchAll(/charset\s*=\s*"?([A-Za-z0-9._:-]{1,64})/gi)].map((m) => m[1]!.toLowerCase()))];
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fromParsed(p: ParsedMail, raw: Buffer, limits: ReadLimits): InboundMail {
  const problems: string[] = [];
  const sender = firstAddress(p.from);
  if (!sender) problems.push('no sender: the message has no usable From address');
  // mailparser derives the text of an HTML-only message itself; non-breaking spaces become plain ones.
  const text = (p.text ?? '').replace(/\u00a0/g, ' ').trim();
  if (text.includes('\uFFFD')) {
    const charsets = declaredCharsets(raw);
    problems.push(`the text has characters that could not be decoded${charsets.length > 0 ? ` (declared charset ${charsets.join(', ')})` : ''}`);
  }
  if (limits.tooLarge) problems.push(`too large: ${limits.tooLarge.size} bytes, the intake accepts at most ${limits.tooLarge.limit}; only the header was read`);
  const date = p.date?.getTime();
  return {
    messageId: idsOf(p.messageId)[0] ?? null,
    from: sender?.address ?? null,
    fromName: sender?.name ? cut(sender.name, 200) : null,
    subject: cut((p.subject ?? '').replace(/\s+/g, ' ').trim(), MAX_SUBJECT_CHARS),
    text: cut(text, MAX_TEXT_CHARS),
    threadIds: [...new Set([...idsOf(p.inReplyTo), ...idsOf(p.references)])].slice(-MAX_THREAD_IDS),
    date: date !== undefined && Number.isFinite(date) ? date : null,
    attachments: p.attachments
      .slice(0, 100)
      .map((a) => ({ filename: a.filename ? cut(a.filename, 200) : null, contentType: a.contentType.slice(0, 100), size: a.size })),
    problems,
  };
}

/** Reads one message from its bytes (the whole message, or only its header when `tooLarge`). */
export async function readMail(raw: Buffer, limits: ReadLimits = {}): Promise<InboundMail> {
  try {
    // Attachment bodies are not kept: mailparser still decodes them to count their size.
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const mail = fromParsed(parsed, raw, limits);
    if (parsed.headers.size === 0) return { ...mail, problems: ['malformed message: no header fields', ...mail.problems] };
    return mail;
  } catch (err) {
    return {
      messageId: null,
      from: null,
      fromName: null,
      subject: '',
      text: '',
      threadIds: [],
      date: null,
      attachments: [],
      problems: [`malformed message: ${(err as Error).message.slice(0, 200)}`],
    };
  }
}
