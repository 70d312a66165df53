import { BadRequestException } from '@nestjs/common';

// The request bodies this API accepts, checked by hand (a real app may prefer class-validator): EnKash's own
// answer to a bad request is less clear, and a bad request should not cost a call to EnKash.

/** `POST /payouts/beneficiaries`: a bank account (number and IFSC) or a UPI handle, not both. */
export interface NewBeneficiary {
  beneficiaryId: string;
  beneficiaryName: string;
  beneficiaryAccountNumber?: string;
  beneficiaryIfsc?: string;
  vpaHandle?: string;
}

/** `POST /payouts/transfers`: a payout to a beneficiary created before. */
export interface NewTransfer {
  transactionId: string;
  beneficiaryId: string;
  transferAmount: number;
  transferMode: TransferMode;
  transferRemark?: string;
}

const TRANSFER_MODES = ['IMPS', 'NEFT', 'RTGS', 'UPI'] as const;
type TransferMode = (typeof TRANSFER_MODES)[number];

/** What a text field must look like, and how to say it to the client. */
interface TextRule {
  pattern: RegExp;
  description: string;
}

// From EnKash's Payouts API reference.
const ALPHANUMERIC_ID: TextRule = {
  pattern: /^[A-Za-z0-9]{1,50}$/,
  description: '1 to 50 letters or digits',
};
const NAME: TextRule = { pattern: /^[A-Za-z ]{1,100}$/, description: '1 to 100 letters or spaces' };
const ACCOUNT_NUMBER: TextRule = {
  pattern: /^[A-Za-z0-9]{9,36}$/,
  description: '9 to 36 letters or digits',
};
const IFSC: TextRule = {
  pattern: /^[A-Za-z]{4}0[A-Za-z0-9]{6}$/,
  description: 'an IFSC such as HDFC0001234',
};
const VPA: TextRule = {
  pattern: /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$/,
  description: 'a UPI handle such as name@bank',
};
const REMARK: TextRule = {
  pattern: /^[A-Za-z0-9 ]{1,100}$/,
  description: '1 to 100 letters, digits or spaces',
};

/** Collects what is wrong with a body, so that the client fixes it in one go. */
class BodyReader {
  readonly problems: string[] = [];

  constructor(private readonly body: Record<string, unknown>) {}

  /** A text field that must be present; `''` when it is not (then {@link done} throws). */
  required(field: string, rule: TextRule): string {
    const value = this.optional(field, rule);
    if (value === undefined && this.isAbsent(field)) this.problems.push(`${field} is required`);
    return value ?? '';
  }

  /** A text field that may be absent. */
  optional(field: string, rule: TextRule): string | undefined {
    if (this.isAbsent(field)) return undefined;
    const value = this.body[field];
    if (typeof value !== 'string' || !rule.pattern.test(value)) {
      this.problems.push(`${field} must be ${rule.description}`);
      return undefined;
    }
    return value;
  }

  isAbsent(field: string): boolean {
    const value = this.body[field];
    return value === undefined || value === null || value === '';
  }

  check(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  /** Throws a 400 naming every problem, if any. */
  done(): void {
    if (this.problems.length > 0) throw new BadRequestException(this.problems);
  }
}

function readerFor(body: unknown): BodyReader {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('The body must be a JSON object');
  }
  return new BodyReader(body as Record<string, unknown>);
}

/** Validates the body of `POST /payouts/beneficiaries`; keeps only the fields EnKash should see. */
export function parseNewBeneficiary(body: unknown): NewBeneficiary {
  const read = readerFor(body);
  const beneficiaryId = read.required('beneficiaryId', ALPHANUMERIC_ID);
  const beneficiaryName = read.required('beneficiaryName', NAME);
  const beneficiaryAccountNumber = read.optional('beneficiaryAccountNumber', ACCOUNT_NUMBER);
  const beneficiaryIfsc = read.optional('beneficiaryIfsc', IFSC);
  const vpaHandle = read.optional('vpaHandle', VPA);
  // Which kind of account the client meant, from the fields it sent, valid or not.
  const hasAccountNumber = !read.isAbsent('beneficiaryAccountNumber');
  const hasIfsc = !read.isAbsent('beneficiaryIfsc');
  const bank = hasAccountNumber || hasIfsc;
  const upi = !read.isAbsent('vpaHandle');
  read.check(
    hasAccountNumber === hasIfsc,
    'beneficiaryAccountNumber and beneficiaryIfsc go together',
  );
  read.check(bank !== upi, 'give either a bank account or a vpaHandle, not both');
  read.done();
  return {
    beneficiaryId,
    beneficiaryName,
    ...(bank ? { beneficiaryAccountNumber, beneficiaryIfsc } : { vpaHandle }),
  };
}

/** Validates the body of `POST /payouts/transfers`; keeps only the fields EnKash should see. */
export function parseNewTransfer(body: unknown): NewTransfer {
  const read = readerFor(body);
  const raw = body as Record<string, unknown>;
  const transactionId = read.required('transactionId', ALPHANUMERIC_ID);
  const beneficiaryId = read.required('beneficiaryId', ALPHANUMERIC_ID);
  const transferRemark = read.optional('transferRemark', REMARK);
  const amount = raw.transferAmount;
  read.check(
    typeof amount === 'number' && Number.isFinite(amount) && amount >= 1,
    'transferAmount must be a number of at least 1.00',
  );
  const mode = raw.transferMode ?? 'NEFT';
  read.check(
    TRANSFER_MODES.includes(mode as TransferMode),
    `transferMode must be one of ${TRANSFER_MODES.join(', ')}`,
  );
  read.done();
  return {
    transactionId,
    beneficiaryId,
    transferAmount: amount as number,
    transferMode: mode as TransferMode,
    ...(transferRemark !== undefined ? { transferRemark } : {}),
  };
}
