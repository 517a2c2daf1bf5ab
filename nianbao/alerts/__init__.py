"""Alerts after a crawl run: its digest (digest.py, overdue.py) as a message (render.py) sent through Apprise
(send.py), by `nianbao notify` and after every scheduled run (notify.py)."""


class NotifyError(Exception):
    """A bad address or a failed send, in one line that shows no token or password."""
