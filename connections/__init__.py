"""Connections to stores: the rules for creating, changing and removing them."""
