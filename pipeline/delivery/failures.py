"""How a delivery can fail, which decides what happens next to the message and the run."""

from __future__ import annotations

from ..errors import DeliveryError


class TemporaryFailure(DeliveryError):
    """This message failed for now (a 4xx reply, a timeout, a chat service down): retry it later with backoff."""


class ServerUnavailable(TemporaryFailure):
    """The server could not be reached at all: retry this message later and stop sending through it in this run."""


class PermanentFailure(DeliveryError):
    """The server refused this message for good (a 5xx reply): after a few, the address counts as bounced."""


class SetupFailure(DeliveryError):
    """The sending setup is wrong (login refused, TLS failed, sender refused): stop the run until it is fixed."""
