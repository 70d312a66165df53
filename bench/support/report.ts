// What each section of the bench comes to, and how it prints: Markdown tables, readable in a terminal and ready for
// BENCHMARKS.md.

/** A target from the issue and whether this run met it. */
export interface Target {
  /** The target, e.g. `EnkashHttpService ≥ 0.97 × @nestjs/axios throughput`. */
  readonly goal: string;
  /** What was measured, e.g. `0.99`. */
  readonly measured: string;
  readonly met: boolean;
}

/** One section of the bench: a table and the targets it checks. */
export interface SectionResult {
  readonly title: string;
  /** How it was measured: sizes, concurrency, what stands for what. */
  readonly setup: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  readonly targets: readonly Target[];
  /** Anything the reader needs to read the table right. */
  readonly notes?: readonly string[];
}

/** A Markdown table. */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** A section as Markdown: heading, setup, table, notes. */
export function renderSection(section: SectionResult): string {
  return [
    `### ${section.title}`,
    '',
    section.setup,
    '',
    markdownTable(section.header, section.rows),
    ...(section.notes === undefined || section.notes.length === 0
      ? []
      : ['', ...section.notes.map((note) => `- ${note}`)]),
    '',
  ].join('\n');
}

/** Every section's targets in one table. */
export function renderTargets(sections: readonly SectionResult[]): string {
  const rows = sections.flatMap((section) =>
    section.targets.map((target) => [
      section.title,
      target.goal,
      target.measured,
      target.met ? 'met' : 'MISSED',
    ]),
  );
  return ['### Targets', '', markdownTable(['section', 'target', 'measured', ''], rows), ''].join(
    '\n',
  );
}

/** `1234567.8` → `1,234,568`. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds with two decimals below 10, one below 100, none above. */
export function ms(value: number): string {
  if (Number.isNaN(value)) return '-';
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ms`;
}

/** Bytes as MB, with two decimals. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
