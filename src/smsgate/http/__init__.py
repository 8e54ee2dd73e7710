"""HTTP adapter: the WhatCounts api_web front door."""
