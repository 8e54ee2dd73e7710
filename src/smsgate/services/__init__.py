"""The use cases every front door calls (api_web, REST, the JSON API, the CLI)."""
