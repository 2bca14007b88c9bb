"""Shopify webhooks: the endpoint, signature checks, and turning REST-shaped payloads into `types`."""
