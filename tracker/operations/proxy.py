"""Behind a reverse proxy: trust its X-Forwarded-* headers, and only as far as configured.

``TRACKER_TRUSTED_PROXIES=N`` (N > 0) wraps the app in werkzeug's ``ProxyFix`` trusting the last
N values of ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port``: the client's address
(which rate limits count by, and the request log shows), the scheme (``https``, so
``url_for(_external=True)`` and redirects name the public URL) and the host the client asked
for are the ones the proxy saw. With 0 (the default) the headers are ignored, as they must be
when clients reach the app directly: anyone can send them.

N is the number of proxies in front of the app that append to the headers (one nginx: 1; a
load balancer and nginx: 2). More than there are lets a client forge its address; fewer makes
every client look like the proxy.
"""

from __future__ import annotations

from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.config import Settings


def init_app(app: Any, settings: Settings) -> None:
    """Wrap ``app``'s WSGI callable in ProxyFix when the settings trust proxies."""
    hops = settings.trusted_proxies
    if hops <= 0:
        return
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
