"""S3-compatible object storage (AWS S3, Cloudflare R2, MinIO) through boto3.

boto3 is synchronous, so every call runs in a worker thread (boto3 clients are
thread-safe). Objects are written once under unique keys and served publicly from
`S3_PUBLIC_BASE_URL` (a CDN or the bucket's public domain), so they are cached for a year."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mais.adapters.storage.port import IMMUTABLE_CACHE, Storage
from mais.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Storage(Storage):
    backend = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        public_base_url: str,
        endpoint_url: str | None = None,
        region: str = "auto",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.public_base_url = public_base_url.rstrip("/")
        config = Config(
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            # Custom endpoints (R2, MinIO) address buckets by path, not by subdomain.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=None if region == "auto" and not endpoint_url else region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        if not settings.s3_bucket:
            raise ValueError("S3_BUCKET is not set")
        return cls(
            bucket=settings.s3_bucket,
            public_base_url=settings.s3_public_base_url
            or default_public_base(
                settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region
            ),
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE_CACHE,
        )

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{quote(key)}"

    async def check(self) -> str | None:
        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            return f"S3 bucket {self.bucket} is not reachable: {_describe(exc)}"
        return None

    def public_host(self) -> str | None:
        parts = urlsplit(self.public_base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def default_public_base(bucket: str, endpoint_url: str | None, region: str) -> str:
    """Where objects are readable when S3_PUBLIC_BASE_URL is not set."""
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{bucket}"
    if region and region != "auto":
        return f"https://{bucket}.s3.{region}.amazonaws.com"
    return f"https://{bucket}.s3.amazonaws.com"


def _describe(exc: Exception) -> str:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', '?')} {error.get('Message', '')}".strip()
    return exc.__class__.__name__
