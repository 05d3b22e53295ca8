"""Store integrations: one subpackage per external system."""
