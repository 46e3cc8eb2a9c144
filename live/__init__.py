"""The server shell around the ``rooms`` domain: gateway, log, fan-out, persistence."""

__version__ = "0.1.0"
