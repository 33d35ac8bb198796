export * from './mailer.service';
export * from '../errors/header-injection.error';
export * from '../http/test-email.dto';
