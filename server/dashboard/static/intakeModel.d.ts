// Types of intakeModel.js for the Node unit tests (the browser loads the .js file as is).
export declare const INTAKE_STATUSES: readonly string[];
export declare const INTAKE_ACTIONS: Readonly<Record<'assign' | 'attach' | 'dismiss', string>>;
export declare function intakeActions(item: { status: string }): Array<'assign' | 'attach' | 'dismiss'>;
export declare function intakeExcerpt(text: string | null | undefined, max?: number): string;
export declare function senderLabel(item: { from: string | null; fromName: string | null }): string | null;
export declare function formatSize(bytes: number): string;
