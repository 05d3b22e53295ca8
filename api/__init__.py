"""The admin API: JSON over HTTP behind a bearer token."""
