"""What every page shares and what guards every door: error pages and the 409 of a raced write
(`errors`), refused input (`inputs`), security headers (`headers`), rate limits (`ratelimit`),
a service's errors on a form (`forms`), htmx helpers, the builtin template filters, what the
two admin sites share (`admin_actions`), and the health and favicon views (`views`).
"""
