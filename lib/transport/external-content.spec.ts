import { findExternalContent } from './external-content';

describe('findExternalContent', () => {
  it('names the field of a local file or URL as the caller wrote it', () => {
    expect(findExternalContent({ to: 'a@example.com', html: { path: '/etc/passwd' } })).toBe(
      'html.path',
    );
    expect(
      findExternalContent({ attachments: [{ content: 'x' }, { href: 'https://example.com/a' }] }),
    ).toBe('attachments[1].href');
    expect(findExternalContent({ alternatives: [{ content: { path: 'file.txt' } }] })).toBe(
      'alternatives[0].content.path',
    );
    expect(findExternalContent({ raw: { path: 'mail.eml' } })).toBe('raw.path');
    expect(findExternalContent([{ path: 'x' }])).toBe('message[0].path');
  });

  it('passes inline content, data: URIs, buffers, streams, headers, envelope and dkim', () => {
    expect(
      findExternalContent({
        text: 'hello',
        html: { path: ' DATA:text/plain,hi' },
        attachments: [{ content: Buffer.from('x') }, { path: false }, { path: null }],
        headers: { path: '/etc/passwd' },
        envelope: { href: 'x' },
        dkim: { privateKey: { path: 'key.pem' } },
        icalEvent: { content: new Uint8Array(1) },
      }),
    ).toBeNull();
    expect(findExternalContent(null)).toBeNull();
    expect(findExternalContent({ nested: { headers: { path: 'x' } } })).toBe('nested.headers.path');
  });
});
