"""Photo uploads: real images accepted and re-encoded; scripts, polyglots, SVG, text and
oversize files refused; at most five per package; delete and reorder."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from mais.catalog.admin_service import CatalogAdminService
from mais.models import PackagePhoto
from tests.factories.world import TEST_ACTOR, image_bytes

SCRIPT = b"<script>alert('owned')</script>"


def _photos_url(alpha) -> str:
    return f"/v1/tenant-admin/packages/{alpha.tenant.packages['garden'].id}/photos"


def _upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return {"file": (name, data, content_type)}


def png_with_script_chunk() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + SCRIPT.decode() + "</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "orange").save(out, format="PNG", pnginfo=info)
    assert SCRIPT in out.getvalue()
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "navy").save(out, format="JPEG", exif=exif.tobytes())
    assert b"SpyCam" in out.getvalue()
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<html>" + SCRIPT.decode() + "</html>")
    return out.getvalue()


async def _stored_bytes(client, url: str) -> bytes:
    response = await client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_real_images_are_accepted_resized_and_re_encoded(client, alpha, credential, fmt):
    data = image_bytes(fmt, size=(2400, 1600))

    response = await client.post(
        _photos_url(alpha), headers=credential, files=_upload(data, f"p.{fmt.lower()}")
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "url", "thumbUrl", "width", "height", "order"}
    assert (body["width"], body["height"], body["order"]) == (1600, 1067, 0)
    large = await client.get(body["url"].removeprefix("http://testserver"))
    assert large.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(large.content)).size == (1600, 1067)
    thumb = Image.open(io.BytesIO(await _stored_bytes(client, body["thumbUrl"])))
    assert max(thumb.size) == 480
    public = await client.get("/v1/packages/garden", headers=alpha.tenant.headers)
    assert public.json()["photoUrl"] == body["url"]


async def test_png_with_a_script_in_a_text_chunk_is_stored_without_it(client, alpha):
    response = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(png_with_script_chunk(), "x.png")
    )

    assert response.status_code == 201
    for url in (response.json()["url"], response.json()["thumbUrl"]):
        stored = await _stored_bytes(client, url)
        assert SCRIPT not in stored
        assert b"<script" not in stored
        assert b"xmpmeta" not in stored


async def test_exif_and_gps_are_stripped(client, alpha):
    response = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(jpeg_with_gps())
    )

    stored = await _stored_bytes(client, response.json()["url"])
    assert b"SpyCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><body>" + SCRIPT + b"</body></html>",
        zip_bytes(),
        b"%PDF-1.4 trailing pdf",
    ],
    ids=["html", "zip", "pdf"],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_polyglot_image_with_appended_data_is_415(container, client, alpha, fmt, payload):
    response = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(image_bytes(fmt) + payload)
    )

    assert response.status_code == 415
    assert response.json()["error"] == "INVALID_IMAGE"
    async with container.db.sessionmaker() as session:
        assert (await session.execute(select(func.count(PackagePhoto.id)))).scalar_one() == 0


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            "logo.svg",
            "image/svg+xml",
        ),
        (b"just some text pretending to be a photo", "photo.jpg", "image/jpeg"),
        (b"GIF89a" + bytes(100), "anim.gif", "image/gif"),
        (image_bytes("GIF"), "real.gif", "image/gif"),
        (image_bytes("BMP"), "real.bmp", "image/bmp"),
        (image_bytes("JPEG")[:200], "truncated.jpg", "image/jpeg"),
    ],
    ids=["svg", "text", "fake-gif", "gif", "bmp", "truncated-jpeg"],
)
async def test_anything_but_a_jpeg_png_or_webp_is_415(client, alpha, data, name, content_type):
    response = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(data, name, content_type)
    )

    assert response.status_code == 415
    assert response.json()["error"] in {"INVALID_IMAGE", "UNSUPPORTED_MEDIA_TYPE"}


async def test_file_just_over_5_mb_is_413(client, alpha):
    data = image_bytes("PNG", size=(64, 64))
    oversize = data + bytes(5 * 1024 * 1024 + 1 - len(data))

    response = await client.post(_photos_url(alpha), headers=alpha.headers, files=_upload(oversize))

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


async def test_body_far_over_the_limit_is_cut_off_with_413(client, alpha):
    response = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(bytes(7 * 1024 * 1024))
    )

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"other": ("a.jpg", image_bytes("JPEG"), "image/jpeg")}},
        {"json": {"file": "aGVsbG8="}},
        {"files": {"file": ("empty.jpg", b"", "image/jpeg")}},
    ],
    ids=["wrong-field", "json-body", "empty-file"],
)
async def test_missing_or_empty_file_is_422(client, alpha, request_kwargs):
    response = await client.post(_photos_url(alpha), headers=alpha.headers, **request_kwargs)

    assert response.status_code == 422


async def test_sixth_photo_is_409(client, alpha):
    for n in range(5):
        ok = await client.post(
            _photos_url(alpha), headers=alpha.headers, files=_upload(image_bytes("JPEG"))
        )
        assert ok.json()["order"] == n

    sixth = await client.post(
        _photos_url(alpha), headers=alpha.headers, files=_upload(image_bytes("JPEG"))
    )

    assert sixth.status_code == 409
    assert sixth.json()["error"] == "PHOTO_LIMIT_REACHED"


async def test_concurrent_uploads_never_exceed_five_photos(container, client, alpha):
    # PostgreSQL: the package row lock; SQLite: every transaction holds the write lock.
    for _ in range(3):
        await client.post(_photos_url(alpha), headers=alpha.headers, files=_upload(image_bytes()))

    responses = await asyncio.gather(
        *(
            client.post(_photos_url(alpha), headers=alpha.headers, files=_upload(image_bytes()))
            for _ in range(6)
        )
    )

    assert sorted(r.status_code for r in responses) == [201, 201, 409, 409, 409, 409]
    async with container.db.sessionmaker() as session:
        assert (await session.execute(select(func.count(PackagePhoto.id)))).scalar_one() == 5


async def test_delete_photo_removes_files_and_renumbers(client, alpha, data_dir, credential):
    uploaded = [
        (
            await client.post(
                _photos_url(alpha), headers=credential, files=_upload(image_bytes("JPEG"))
            )
        ).json()
        for _ in range(3)
    ]

    response = await client.delete(f"{_photos_url(alpha)}/{uploaded[0]['id']}", headers=credential)

    assert response.status_code == 204
    assert (
        await client.get(uploaded[0]["url"].removeprefix("http://testserver"))
    ).status_code == 404
    package = await client.get(
        f"/v1/tenant-admin/packages/{alpha.tenant.packages['garden'].id}", headers=credential
    )
    photos = package.json()["photos"]
    assert [p["id"] for p in photos] == [uploaded[1]["id"], uploaded[2]["id"]]
    assert [p["order"] for p in photos] == [0, 1]
    assert len(list((data_dir / "uploads").rglob("*.jpg"))) == 4
    again = await client.delete(f"{_photos_url(alpha)}/{uploaded[0]['id']}", headers=credential)
    assert again.status_code == 404


async def test_reorder_photos(client, alpha, credential):
    ids = [
        (
            await client.post(_photos_url(alpha), headers=credential, files=_upload(image_bytes()))
        ).json()["id"]
        for _ in range(3)
    ]
    wanted = [ids[2], ids[0], ids[1]]

    response = await client.post(
        f"{_photos_url(alpha)}/reorder", headers=credential, json={"ids": wanted}
    )

    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == wanted
    public = await client.get("/v1/packages/garden", headers=alpha.tenant.headers)
    assert public.json()["photoUrl"] == response.json()[0]["url"]
    partial = await client.post(
        f"{_photos_url(alpha)}/reorder", headers=credential, json={"ids": wanted[:2]}
    )
    assert partial.status_code == 422


async def test_files_of_an_upload_whose_transaction_rolls_back_are_removed(
    container, alpha, data_dir
):
    uploads = data_dir / "uploads"
    before = sorted(uploads.rglob("*.*"))
    written: list[int] = []

    async def upload_then_fail() -> None:
        async with container.db.transaction() as session:
            service = CatalogAdminService(
                session, alpha.tenant.id, TEST_ACTOR, container.cache, container.storage
            )
            await service.add_photo(alpha.tenant.packages["garden"], image_bytes("JPEG"))
            written.append(len(sorted(uploads.rglob("*.*"))) - len(before))
            raise RuntimeError("the request fails after the upload")

    with pytest.raises(RuntimeError):
        await upload_then_fail()

    assert written == [2]  # large + thumbnail were stored before the failure...
    assert sorted(uploads.rglob("*.*")) == before  # ...and removed by the rollback
    async with container.db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(PackagePhoto))
    assert count == 0
