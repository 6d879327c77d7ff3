// Types of ticketActions.js for the Node unit tests (the browser loads the .js file as is).
export type ActionId =
  | 'acknowledge'
  | 'start'
  | 'assign'
  | 'waitForCustomer'
  | 'customerReplied'
  | 'contactAttempt'
  | 'escalate'
  | 'comment'
  | 'timeEntry'
  | 'resolve'
  | 'close'
  | 'reopen';
export interface Me {
  role: 'admin' | 'dispatcher' | 'technician' | 'customer';
  name: string;
}
export interface TicketLike {
  status: string;
  tier: string;
  assignee: string | null;
}
export declare const OPEN: readonly string[];
export declare const TIERS: readonly string[];
export declare const WORK_CHANNELS: readonly string[];
export declare const CONTACT_CHANNELS: readonly string[];
export declare const ACTIONS: Readonly<
  Record<ActionId, { path: string; statuses: readonly string[]; body: (values: Record<string, string | boolean | undefined>) => Record<string, unknown> }>
>;
export declare function availableActions(ticket: TicketLike, me: Me | null): ActionId[];
export declare function assignMode(ticket: TicketLike, me: Me): 'any' | 'take' | 'giveBack' | 'none';
export declare function fieldOfError(field: unknown): string | null;
