"""Webhooks: signature verification, the receiver, and registration on the store."""
