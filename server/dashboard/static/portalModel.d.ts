// Types of portalModel.js for the Node unit tests (the browser loads the .js file as is).
export declare function portalActions(ticket: { status: string }): Array<'reply' | 'confirm'>;
export declare function portalTicketLists<T extends { status: string; deadlineAt?: string | null; openedAt?: string }>(tickets: T[]): { open: T[]; done: T[] };
export declare const PORTAL_ACTIONS: Readonly<Record<'reply' | 'confirm', { path: string }>>;
