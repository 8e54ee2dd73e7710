"""`record` for the domain's records: the leaf `smsgate.record`, where `smpp` finds it too."""

from smsgate.record import record

__all__ = ["record"]
