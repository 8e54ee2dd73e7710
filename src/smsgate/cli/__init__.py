"""The `smsgate` admin command line (Typer)."""
