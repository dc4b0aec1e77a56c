"""Running the tracker as operations teams expect: health and readiness, metrics, structured
logs with request ids, the proxy in front of it, backups and restores."""
