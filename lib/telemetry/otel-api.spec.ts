describe('registeredOtel without @opentelemetry/api installed', () => {
  it('is null, and loading the module costs nothing more', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { registeredOtel } = require('./otel-api') as typeof import('./otel-api');
      expect(registeredOtel()).toBeNull();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { smtpTelemetry } = require('./smtp-telemetry') as typeof import('./smtp-telemetry');
      const telemetry = smtpTelemetry({} as never);
      expect(telemetry.sending('default', {})).toBeUndefined();
      expect(telemetry.outboxGauges('redis', 'q')).toBeUndefined();
      telemetry.tokens('microsoft').cached();
      telemetry.settingsChanged('main', 'default');
    });
  });
});
