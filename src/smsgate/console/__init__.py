"""The operator console: server-rendered pages under /console (issue 18).

A thin front door over services/console_*.py: `wiring.py` builds it from a gateway,
`web.py` holds what every page shares (templates, the session check, CSRF), and the pages
live in `login.py`, `pages.py` and `optout_pages.py`. Templates use Jinja2; the few scripts
(htmx, uPlot) are vendored in `static/vendor`, so nothing is fetched from elsewhere.
"""
