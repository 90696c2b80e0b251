"""Benchmarks: wintersockets against raw asyncio and asyncio streams."""
