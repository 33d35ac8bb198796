import { IsDefined, IsEmail, IsString, MaxLength } from 'class-validator';

/** The body of `POST /smtp-settings/test-email`. */
export class TestEmailDto {
  @IsDefined({ message: 'to is required' })
  @IsString({ message: 'to must be a string' })
  @MaxLength(254, { message: 'to must be at most 254 characters' })
  @IsEmail({}, { message: 'to must be a valid email address' })
  to!: string;
}
