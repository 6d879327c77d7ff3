// Types of visitModel.js for the Node unit tests (the browser loads the .js file as is).
export interface VisitLike { targetAt?: string | null; scheduledFor?: string | null; arrivedAt?: string | null; departedAt?: string | null }
export declare function visitState(v: VisitLike): 'requested' | 'scheduled' | 'onSite' | 'done';
export declare function nextVisitStep(v: VisitLike): 'arrive' | 'depart' | null;
export declare function arrivalMet(v: VisitLike): boolean | null;
export declare function orderVisits<T extends VisitLike>(visits: T[]): T[];
export declare const VISIT_STEPS: Readonly<Record<'arrive' | 'depart', { path: string }>>;
