"""devstore: a local stand-in for Shopify's Admin GraphQL API (2026-07), run as its own process.

The project talks to it over HTTP exactly as it talks to Shopify; tests start it with
``devstore.testing.start_devstore``. Nothing here imports the Django project.
"""

API_VERSION = "2026-07"
