import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';

/** A single address is accepted where a list is expected. */
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? [value] : value;

const addresses = (field: string, required: boolean) => {
  const decorators = [
    Transform(toList),
    IsArray({ message: `${field} must be an email address or a list of them` }),
    ArrayMaxSize(1000, { message: `${field} must have at most 1000 addresses` }),
    IsEmail({}, { each: true, message: `each address in ${field} must be a valid email address` }),
  ];
  return required
    ? [
        IsDefined({ message: `${field} is required` }),
        ArrayNotEmpty({ message: `${field} needs at least one address` }),
        ...decorators,
      ]
    : [IsOptional(), ...decorators];
};

function apply(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorator) => decorator(target, key));
}

/** The body of `POST /notifications`, the stand-in for the product's own mail. */
export class NotificationDto {
  @ApiProperty({
    description: 'One address or a list',
    oneOf: [
      { type: 'string', format: 'email' },
      { type: 'array', items: { type: 'string', format: 'email' } },
    ],
    example: ['ada@example.com'],
  })
  @apply(addresses('to', true))
  to!: string[];

  @ApiPropertyOptional({ type: [String], example: [] })
  @apply(addresses('cc', false))
  cc?: string[];

  @ApiPropertyOptional({ type: [String], example: [] })
  @apply(addresses('bcc', false))
  bcc?: string[];

  @ApiProperty({ example: 'Your report is ready', maxLength: 200 })
  @IsDefined({ message: 'subject is required' })
  @IsString({ message: 'subject must be a string' })
  @IsNotEmpty({ message: 'subject is required' })
  @MaxLength(200, { message: 'subject must be at most 200 characters' })
  subject!: string;

  @ApiPropertyOptional({ description: 'Plain text body; text or html is required' })
  @ValidateIf((body: NotificationDto) => body.text !== undefined || body.html === undefined)
  @IsDefined({ message: 'text or html is required' })
  @IsString({ message: 'text must be a string' })
  @MaxLength(100_000, { message: 'text must be at most 100000 characters' })
  text?: string;

  @ApiPropertyOptional({ description: 'HTML body' })
  @IsOptional()
  @IsString({ message: 'html must be a string' })
  @MaxLength(100_000, { message: 'html must be at most 100000 characters' })
  html?: string;
}
