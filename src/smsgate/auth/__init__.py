"""Realm authentication: argon2id hashes, verified-credential cache, guessing slowed down."""
