// Types of intakeForm.js for the Node unit tests (the browser loads the .js file as is).
export declare const INTAKE_CHANNELS: readonly string[];
export declare const IMPACTS: readonly string[];
export interface SeverityChoice {
  id: string;
  kind: 'impact' | 'level';
  label?: string;
}
export declare function severityChoices(
  contract: { levels?: Array<{ id: string; label?: string }>; spec?: { levels?: Array<{ id: string; label?: string }> } } | null | undefined,
): SeverityChoice[];
export declare function intakeBody(values: Record<string, string | undefined>, opts?: { zone?: string; customer?: string }): Record<string, unknown>;
export declare function firstDeadline(ticket: unknown): string | number | null;
export interface IntakeOutcome {
  kind: 'opened' | 'duplicate';
  ticketId: string | null;
  deadlineAt: string | number | null;
}
export declare function intakeOutcome(answer: unknown): IntakeOutcome;
