"""The bundled sample county sites: their registry and a recording of their web, replayed on localhost for the demo."""

from nianbao.sampleweb.replay import load_recording, serve

__all__ = ["load_recording", "serve"]
