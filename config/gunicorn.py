"""gunicorn settings for the `web` process (Procfile: gunicorn -c config/gunicorn.py)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# Threads let a request that waits on a store (verification, webhook registration) leave
# room for the store's ping to the receiver, which arrives while we wait.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Verification and webhook registration talk to slow stores: give them time.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 25  # Heroku sends SIGKILL 30 s after SIGTERM
keepalive = 5
accesslog = "-"
# The access log names the path only; webhook paths carry no secrets, query strings are dropped.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
wsgi_app = "web:create_app()"
