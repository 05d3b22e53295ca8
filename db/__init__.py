"""Persistence: models, sessions, and the upserts that keep records idempotent and order-safe."""
