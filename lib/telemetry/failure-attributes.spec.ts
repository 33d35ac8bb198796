import { failureAttributes } from './failure-attributes';

describe('failureAttributes', () => {
  it('keeps the code, the stage and the reply code of a failure, never its message', () => {
    const error = Object.assign(new Error('550 5.1.1 <bob@example.com>: unknown user'), {
      code: 'EENVELOPE',
      stage: 'recipients',
      responseCode: 550,
    });
    expect(failureAttributes(error)).toEqual({
      'error.type': 'EENVELOPE',
      'smtp_settings.stage': 'recipients',
      'smtp_settings.reply_code': 550,
    });
  });

  it("falls back to the error's class, then to _OTHER, and takes no text for a code", () => {
    expect(failureAttributes(new TypeError('x'))).toEqual({ 'error.type': 'TypeError' });
    expect(failureAttributes({ code: 'bob@example.com refused' })).toEqual({
      'error.type': '_OTHER',
    });
    expect(failureAttributes(undefined)).toEqual({ 'error.type': '_OTHER' });
  });
});
