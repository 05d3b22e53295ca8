"""Shopify behind the connector interface (`stores.connector`): each part is a module of this package."""
