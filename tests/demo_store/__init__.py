"""`bin/demo-store`: the WooCommerce emulator as a demo store a newcomer can connect and change.

The emulator stays test code; this package only runs it as a store does: sample records, and
deliveries sent on their own every second (WooCommerce's cron), not on a test's call.
"""
