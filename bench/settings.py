"""The portal's settings plus a bare view, for benchmarks that compare a page with Django doing nothing."""

from portal.settings import *  # noqa: F403 - the benchmark measures exactly the production settings

ROOT_URLCONF = "bench.urls"
