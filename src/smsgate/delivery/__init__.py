"""Delivery path: queue -> SMPP -> receipts, and inbound (MO) handling."""
