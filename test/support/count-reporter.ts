import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints `N passed, N failed, N skipped` as the very last line, the plain closing line CI reads
 * (vitest's own summary is not in that form). Before it, one `FAILED: file > test: reason` line
 * per failure, so the short tail CI keeps of a run still names what failed and why.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') {
          failedHere++;
          failures.push(
            `${mod.relativeModuleId} > ${test.fullName}: ${firstLine(result.errors?.[0]?.message)}`,
          );
        } else skipped++;
      }
      // A file can fail outside any test (import error, beforeAll/afterAll hook): count it once.
      if (mod.state() === 'failed' && failedHere === 0) {
        failures.push(`${mod.relativeModuleId}: ${firstLine(mod.errors()[0]?.message)}`);
      }
    }
    const lines = failures.map((f) => `FAILED: ${f}\n`).join('');
    process.stdout.write(`\n${lines}${passed} passed, ${failures.length} failed, ${skipped} skipped\n`);
  }
}

/** The first line of an error message, cut to a width a log tail shows whole. */
function firstLine(message: string | undefined): string {
  const line = (message ?? 'no message').split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
