/** Hand-written e-mails for the intake tests (CRLF line ends, as on the wire). */

export interface MailParts {
  readonly from?: string | null;
  readonly to?: string;
  readonly subject?: string;
  readonly messageId?: string | null;
  readonly inReplyTo?: string;
  readonly references?: string;
  readonly date?: string;
  readonly body?: string;
  readonly contentType?: string;
}

/** A single-part message; `from: null` leaves the From header out. */
export function eml(p: MailParts = {}): Buffer {
  const lines = [
    ...(p.from === null ? [] : [`From: ${p.from ?? 'Anna Nowak <anna@acme.example>'}`]),
    `To: ${p.to ?? 'serwis@vendor.example'}`,
    `Subject: ${p.subject ?? 'Drukarka w księgowości nie drukuje'}`,
    ...(p.messageId === null ? [] : [`Message-ID: ${p.messageId ?? '<m1@acme.example>'}`]),
    ...(p.inReplyTo ? [`In-Reply-To: ${p.inReplyTo}`] : []),
    ...(p.references ? [`References: ${p.references}`] : []),
    `Date: ${p.date ?? 'Mon, 05 Jan 2026 09:00:00 +0100'}`,
    'MIME-Version: 1.0',
    `Content-Type: ${p.contentType ?? 'text/plain; charset=utf-8'}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    p.body ?? 'Zacięcie papieru w podajniku 2, komunikat J-201.',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), p.contentType?.includes('iso-8859-2') || p.contentType?.includes('bogus') ? 'latin1' : 'utf8');
}

/** A multipart message with one attachment of `attachmentBytes` (base64). */
export function withAttachment(attachmentBytes: number, from = 'anna@acme.example'): Buffer {
  const data = Buffer.alloc(attachmentBytes, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      `From: ${from}`,
      'Subject: Zdjęcie błędu',
      'Message-ID: <att@acme.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'W załączniku zdjęcie panelu.',
      '--b1',
      'Content-Type: image/jpeg; name="panel.jpg"',
      'Content-Disposition: attachment; filename="panel.jpg"',
      'Content-Transfer-Encoding: base64',
      '',
      data,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}
