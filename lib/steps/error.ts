/** A step's failure: the host, the step, the DM tool's own message, and the next thing to try. */
export class StepError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    /** What went wrong, in a few words. */
    readonly what: string,
    /** The DM tool's own message (or the command's output tail). */
    readonly toolMessage: string,
    /** What to try next. */
    readonly hint: string,
  ) {
    super(
      `step ${step} on ${host} failed: ${what}` +
        (toolMessage ? `\n  DM says: ${toolMessage}` : '') +
        `\n  next: ${hint}`,
    );
    this.name = 'StepError';
  }
}
