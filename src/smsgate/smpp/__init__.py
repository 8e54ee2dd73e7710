"""SMPP 3.4 subset: PDU codec, asyncio sessions, ESME client and SMSC simulator."""
