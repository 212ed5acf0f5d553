// Types of input-header.mjs for the TypeScript tests.
export function ioTypes(header: string): { inT: string; outT: string };
export function inputHeader(name: string, inT: string, outT: string, values: ArrayLike<number>): string;
