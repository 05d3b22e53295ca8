"""WooCommerce integration: REST client, webhook payloads and their mapping to our records."""
