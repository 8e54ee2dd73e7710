"""Durable storage: schema, migrations, repository, group commit."""
