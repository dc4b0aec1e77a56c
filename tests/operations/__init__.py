"""Tests of tracker.operations: health, metrics, logs, the proxy, backups."""
