// Filled in by the real-services fixture; see services.ts.
export default async function setup(): Promise<void> {}
