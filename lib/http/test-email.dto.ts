import { IsDefined, IsEmail, IsString, MaxLength } from 'class-validator';
import { ApiProperty } from '../internal/api-property';

/** The body of `POST /smtp-settings/test-email`. */
export class TestEmailDto {
  @ApiProperty({
    description: 'Who receives the test email.',
    example: 'admin@example.com',
    format: 'email',
    maxLength: 254,
  })
  @IsDefined({ message: 'to is required' })
  @IsString({ message: 'to must be a string' })
  @MaxLength(254, { message: 'to must be at most 254 characters' })
  // Intranet servers deliver to addresses such as admin@localhost.
  @IsEmail({ require_tld: false }, { message: 'to must be a valid email address' })
  to!: string;
}
