export * from './mailer.service';
export * from './header-injection.error';
export * from './test-email.dto';
