/**
 * Metric names a docs page lists in its tables (backquoted `ripple_…` names in
 * the first column), so each app's test can check its registry against
 * docs/metrics.md and the page cannot fall behind the code.
 */
export function documentedMetricNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`(ripple_[a-z0-9_]+)`\s*\|/.exec(line);
    if (m?.[1] !== undefined) names.add(m[1]);
  }
  return names;
}
