"""Shopify: the Admin GraphQL API, its webhooks and records, behind the connector interface."""
