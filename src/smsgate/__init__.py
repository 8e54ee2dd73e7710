"""smsgate: a WhatCounts-compatible SMS gateway that delivers over SMPP 3.4."""

__version__ = "0.1.0"
