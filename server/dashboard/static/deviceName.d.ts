// Types of deviceName.js for the Node unit tests (the browser loads the .js file as is).
export declare function deviceName(vendor: string | null | undefined, model: string | null | undefined, fallback: string): string;
