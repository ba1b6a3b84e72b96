/** `application/x-www-form-urlencoded` request bodies (RFC 6749 Appendix B): unset values are left out. */
export function formBody(params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p.set(k, v);
  return p.toString();
}
