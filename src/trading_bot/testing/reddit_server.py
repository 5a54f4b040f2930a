"""A local server speaking the Reddit API that asyncpraw uses for read-only access.

Endpoints: ``POST /api/v1/access_token`` (application-only OAuth, client credentials grant,
HTTP Basic client id and secret) and ``GET /r/{subreddit}/hot`` and ``/new`` listings (bearer
token required, ``limit`` honoured). Point asyncpraw at it with ``oauth_url`` and ``reddit_url``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import defaultdict
from dataclasses import dataclass

from aiohttp import web

from trading_bot.testing.feed_server import LocalHttpServer

TOKEN_PATH = "/api/v1/access_token"  # noqa: S105 (a URL path, not a secret)


@dataclass(frozen=True, slots=True)
class RedditPost:
    """A submission as a listing returns it (the fields asyncpraw and our source read)."""

    id: str
    title: str
    score: int
    created_utc: float
    selftext: str = ""
    stickied: bool = False
    author: str = "example_user"

    def listing_child(self, subreddit: str) -> dict[str, object]:
        """Return the post as a ``t3`` child of a listing."""
        permalink = f"/r/{subreddit}/comments/{self.id}/{self.title.lower().replace(' ', '_')}/"
        return {
            "kind": "t3",
            "data": {
                "id": self.id,
                "name": f"t3_{self.id}",
                "title": self.title,
                "selftext": self.selftext,
                "score": self.score,
                "ups": self.score,
                "created_utc": self.created_utc,
                "stickied": self.stickied,
                "permalink": permalink,
                "url": f"https://www.reddit.com{permalink}",
                "subreddit": subreddit,
                "subreddit_name_prefixed": f"r/{subreddit}",
                "author": self.author,
                "num_comments": 0,
                "over_18": False,
                "is_self": True,
            },
        }


class RedditServer(LocalHttpServer):
    """Serve Reddit's token endpoint and subreddit listings from posts the test adds."""

    def __init__(
        self,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-secret",  # noqa: S107 (the local server's own test credential)
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens_issued: list[str] = []
        self._posts: defaultdict[tuple[str, str], list[RedditPost]] = defaultdict(list)
        self.app.router.add_post(TOKEN_PATH, self._token)
        for listing in ("hot", "new"):
            self.app.router.add_get(f"/r/{{subreddit}}/{listing}", self._listing)
            self.app.router.add_get(f"/r/{{subreddit}}/{listing}/", self._listing)

    def add_posts(self, subreddit: str, listing: str, *posts: RedditPost) -> None:
        """Add ``posts`` to ``r/<subreddit>/<listing>`` (in listing order)."""
        self._posts[subreddit.lower(), listing].extend(posts)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if _basic_credentials(request) != (self.client_id, self.client_secret):
            return web.json_response({"message": "Unauthorized", "error": 401}, status=401)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(16)
        self.tokens_issued.append(token)
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    async def _listing(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens_issued:
            return web.json_response({"message": "Unauthorized", "error": 401}, status=401)
        subreddit = request.match_info["subreddit"]
        listing = request.path.rstrip("/").rsplit("/", 1)[-1]
        limit = int(request.query.get("limit", "25"))
        posts = self._posts.get((subreddit.lower(), listing), [])[:limit]
        children = [post.listing_child(subreddit) for post in posts]
        return web.json_response(
            {
                "kind": "Listing",
                "data": {
                    "after": None,
                    "before": None,
                    "dist": len(children),
                    "modhash": None,
                    "geo_filter": "",
                    "children": children,
                },
            }
        )


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login, password
