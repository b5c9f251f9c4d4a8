"""Wire constants: base URLs, media type and client defaults."""

from __future__ import annotations

from typing import Final

from ._version import __version__

PRODUCTION_URL: Final = "https://api.recrubo.app/public/v2"
SANDBOX_URL: Final = "https://api-staging.recrubo.app/public/v2"
ENVIRONMENT_URLS: Final = {"production": PRODUCTION_URL, "sandbox": SANDBOX_URL}

MEDIA_TYPE: Final = "application/vnd.api+json"
USER_AGENT: Final = f"recrubo-async/{__version__}"

API_KEY_ENV: Final = "RECRUBO_API_KEY"
BASE_URL_ENV: Final = "RECRUBO_BASE_URL"

DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_MAX_RETRIES: Final = 2
#: Retries stop once this much time has passed since the first attempt.
DEFAULT_MAX_RETRY_TIME: Final = 60.0
#: A server's Retry-After beyond this is capped, so one answer cannot park a call for hours.
MAX_RETRY_AFTER: Final = 60.0
#: Bytes of (decompressed) response body read before giving up: far above any API answer
#: (a 200-item page), far below what would hurt a worker.
DEFAULT_MAX_RESPONSE_SIZE: Final = 32 * 1024 * 1024
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0

REQUEST_ID_HEADER: Final = "X-Request-Id"
