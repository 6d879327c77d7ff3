// Types of visitModel.js for the Node unit tests (the browser loads the .js file as is).
export interface VisitLike {
  id?: string;
  technician?: string | null;
  plannedAt?: number | null;
  arrivedAt?: number | null;
  departedAt?: number | null;
}
export type VisitStep = 'request' | 'schedule' | 'arrive' | 'depart';
export declare function visitEndpoint(step: VisitStep, visitId?: string): { method: 'POST' | 'PATCH'; path: string };
export declare function visitState(v: VisitLike): 'requested' | 'scheduled' | 'onSite' | 'done';
export declare function nextVisitStep(v: VisitLike): 'arrive' | 'depart' | null;
export declare function visitSteps(
  ticket: { status: string; visits?: VisitLike[] },
  me: { role: string; name: string } | null,
): Array<{ step: VisitStep; visitId?: string }>;
export interface VisitRow {
  id: string;
  assignee: string | null;
  onSite: { visitId: string; dueAt: number | null; breached: boolean; technician: string | null; plannedAt: number | null; arrivedAt: number | null } | null;
}
export declare function myVisits<T extends VisitRow>(rows: T[], me: { role: string; name: string }): T[];
