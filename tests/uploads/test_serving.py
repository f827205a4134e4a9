"""GET /uploads/<key>: local storage served with the right type, nosniff, long caching,
and nothing outside the uploads directory."""

from __future__ import annotations

import pytest

from tests.factories.world import image_bytes


@pytest.fixture
async def stored(container, data_dir):
    await container.storage.put("tenants/t1/photo.jpg", image_bytes("JPEG"), "image/jpeg")
    await container.storage.put("tenants/t1/logo.png", image_bytes("PNG"), "image/png")
    await container.storage.put("tenants/t1/logo.webp", image_bytes("WEBP"), "image/webp")
    (data_dir / "secret.txt").write_text("outside the uploads directory")
    (data_dir / "uploads" / "tenants" / "t1" / "notes.html").write_text("<script>x</script>")
    return data_dir


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("tenants/t1/photo.jpg", "image/jpeg"),
        ("tenants/t1/logo.png", "image/png"),
        ("tenants/t1/logo.webp", "image/webp"),
    ],
)
async def test_stored_images_are_served_with_their_type_nosniff_and_long_cache(
    client, stored, key, content_type
):
    response = await client.get(f"/uploads/{key}")

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    head = await client.head(f"/uploads/{key}")
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/uploads/../secret.txt",
        "/uploads/%2e%2e/secret.txt",
        "/uploads/tenants/../../secret.txt",
        "/uploads/tenants/t1/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/uploads/..%2fsecret.txt",
        "/uploads//etc/passwd",
        "/uploads/tenants/t1/notes.html",
        "/uploads/tenants/t1/missing.jpg",
        "/uploads/tenants/t1",
        "/uploads/",
    ],
)
async def test_traversal_unknown_and_non_image_paths_are_404(client, stored, path):
    response = await client.get(path)

    assert response.status_code == 404
    assert b"outside the uploads directory" not in response.content
    assert response.json()["error"] == "NOT_FOUND"


async def test_a_nul_byte_in_the_path_is_refused_before_the_uploads_route(client, stored):
    response = await client.get("/uploads/tenants/t1/photo.jpg%00.html")

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"


async def test_a_symlink_out_of_the_uploads_directory_is_not_followed(client, stored):
    link = stored / "uploads" / "tenants" / "t1" / "escape.jpg"
    link.symlink_to(stored / "secret.txt")

    response = await client.get("/uploads/tenants/t1/escape.jpg")

    assert response.status_code == 404
