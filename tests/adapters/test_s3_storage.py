"""S3Storage against moto's S3 server (a real HTTP endpoint on a free local port), and the
whole photo/logo path of the API with S3 storage configured."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import boto3
import pytest
from PIL import Image

from mais.adapters.storage.s3 import S3Storage, default_public_base
from mais.container import build_storage
from mais.settings import Settings
from tests.factories.admin import login
from tests.factories.world import add_catalog, image_bytes, make_tenant

BUCKET = "mais-photos"
CREDENTIALS = {"s3_access_key_id": "test-key", "s3_secret_access_key": "test-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def settings_overrides(s3_endpoint):
    return {
        "s3_bucket": BUCKET,
        "s3_endpoint_url": s3_endpoint,
        "s3_region": "us-east-1",
        "s3_public_base_url": f"{s3_endpoint}/{BUCKET}",
        **CREDENTIALS,
    }


def _object(endpoint: str, key: str) -> dict:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    return client.get_object(Bucket=BUCKET, Key=key)


async def test_container_builds_s3_storage_from_the_settings(container, s3_endpoint):
    assert isinstance(container.storage, S3Storage)
    assert await container.storage.check() is None
    assert container.storage.public_host() == s3_endpoint


async def test_put_sets_content_type_and_cache_control_and_delete_removes(container, s3_endpoint):
    storage = container.storage

    await storage.put("tenants/t1/a b.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")

    stored = _object(s3_endpoint, "tenants/t1/a b.jpg")
    assert stored["Body"].read() == b"\xff\xd8jpeg-bytes"
    assert stored["ContentType"] == "image/jpeg"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    # Served by the bucket's public domain or CDN (S3_PUBLIC_BASE_URL), keys URL-quoted.
    assert storage.url("tenants/t1/a b.jpg") == f"{s3_endpoint}/{BUCKET}/tenants/t1/a%20b.jpg"

    await storage.delete("tenants/t1/a b.jpg")
    with pytest.raises(storage.client.exceptions.NoSuchKey):
        _object(s3_endpoint, "tenants/t1/a b.jpg")


async def test_check_names_an_unreachable_bucket(s3_endpoint):
    storage = S3Storage(
        bucket="no-such-bucket",
        public_base_url="https://cdn.example.com",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="test-key",
        secret_access_key="test-secret",
    )

    problem = await storage.check()

    assert problem is not None
    assert "no-such-bucket" in problem


async def test_photo_and_logo_uploads_go_to_the_bucket_and_deletes_follow(
    container, client, s3_endpoint
):
    tenant = await add_catalog(container, await make_tenant(container))
    headers = await login(client, tenant.email)
    package_id = tenant.packages["garden"].id

    uploaded = await client.post(
        f"/v1/tenant-admin/packages/{package_id}/photos",
        headers=headers,
        files={"file": ("p.png", image_bytes("PNG", size=(2000, 1000)), "image/png")},
    )
    logo = await client.post(
        "/v1/tenant-admin/branding/logo",
        headers=headers,
        files={"file": ("l.png", image_bytes("PNG"), "image/png")},
    )

    assert uploaded.status_code == 201
    photo_url = uploaded.json()["url"]
    assert photo_url.startswith(f"{s3_endpoint}/{BUCKET}/tenants/{tenant.id}/packages/")
    key = photo_url.removeprefix(f"{s3_endpoint}/{BUCKET}/")
    stored = _object(s3_endpoint, key)
    assert stored["ContentType"] == "image/jpeg"
    assert Image.open(io.BytesIO(stored["Body"].read())).size == (1600, 800)
    assert logo.json()["logoUrl"].startswith(f"{s3_endpoint}/{BUCKET}/tenants/{tenant.id}/logo/")
    public = await client.get("/v1/packages/garden", headers=tenant.headers)
    assert public.json()["photoUrl"] == photo_url
    # With S3 the app does not serve /uploads/ itself.
    assert (await client.get(f"/uploads/{key}")).status_code == 404

    deleted = await client.delete(
        f"/v1/tenant-admin/packages/{package_id}/photos/{uploaded.json()['id']}", headers=headers
    )
    assert deleted.status_code == 204
    with pytest.raises(container.storage.client.exceptions.NoSuchKey):
        _object(s3_endpoint, key)


@pytest.mark.parametrize(
    ("endpoint", "region", "expected"),
    [
        (
            "https://acct.r2.cloudflarestorage.com",
            "auto",
            "https://acct.r2.cloudflarestorage.com/b",
        ),
        (None, "eu-west-1", "https://b.s3.eu-west-1.amazonaws.com"),
        (None, "auto", "https://b.s3.amazonaws.com"),
    ],
)
def test_default_public_base_without_s3_public_base_url(endpoint, region, expected):
    assert default_public_base("b", endpoint, region) == expected


def test_without_s3_bucket_the_local_directory_is_used(tmp_path):
    storage = build_storage(Settings(_env_file=None, app_env="test", data_dir=tmp_path))

    assert storage.backend == "local"
