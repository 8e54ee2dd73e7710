"""The systems under test (smsgate, Kannel) and what they need for a run: a fresh PostgreSQL
database, and the SMSC sink they deliver to."""
