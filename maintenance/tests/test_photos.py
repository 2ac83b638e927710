"""Photos of checklist items (issue 4 §1, §5): only real JPEG/PNG/WebP images of at most
10 MB, only for photo items, only while the visit is planned; bad input stores nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from maintenance.models import VisitPhoto
from maintenance.tests.factories import (
    VisitFactory,
    image_bytes,
    photo_template,
    photo_upload,
)
from maintenance.visit_records import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_ITEM,
    visit_complete,
    visit_photo_add,
    visit_photo_remove,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def visit():
    device = DeviceFactory()
    photo_template(device)
    return VisitFactory(device=device)


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(("fmt", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_photo_is_stored_with_its_hash_under_the_device(visit, engineer, settings, fmt, extension):
    raw = image_bytes(fmt)
    photo = visit_photo_add(
        visit=visit,
        user=engineer,
        item_key="panel_photo",
        upload=photo_upload(fmt, name=f"IMG_0001.{extension}", data=raw),
        now=NOW,
    )
    assert (photo.visit, photo.item_key, photo.uploaded_by, photo.uploaded_at) == (
        visit,
        "panel_photo",
        engineer,
        NOW,
    )
    assert photo.sha256 == hashlib.sha256(raw).hexdigest()
    assert photo.image.name.startswith(f"visits/{visit.device_id}/photos/")
    assert photo.image.name.endswith(f".{extension}")
    with photo.image.open("rb") as handle:
        assert handle.read() == raw
    assert len(media_files(settings)) == 1


def truncated_jpeg() -> bytes:
    raw = image_bytes("JPEG", size=(400, 300))
    return raw[: len(raw) // 2]


@pytest.mark.parametrize(
    ("upload", "field"),
    [
        (SimpleUploadedFile("fake.jpg", b"not an image at all", "image/jpeg"), "photo"),
        (SimpleUploadedFile("empty.jpg", b"", "image/jpeg"), "photo"),
        (SimpleUploadedFile("anim.gif", image_bytes("GIF"), "image/gif"), "photo"),
        (SimpleUploadedFile("scan.bmp", image_bytes("BMP"), "image/bmp"), "photo"),
        (SimpleUploadedFile("cut.jpg", truncated_jpeg(), "image/jpeg"), "photo"),
        (
            SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"0" * MAX_PHOTO_BYTES, "image/jpeg"),
            "photo",
        ),
        (None, "photo"),
    ],
    ids=["text", "empty", "gif", "bmp", "truncated", "over-10-MB", "none"],
)
def test_bad_images_are_refused_and_nothing_is_stored(visit, engineer, settings, upload, field):
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=upload)
    assert set(exc.value.message_dict) == {field}
    assert not VisitPhoto.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_a_cut_photo_is_refused_even_after_weasyprint_loads_cut_images(
    visit, engineer, settings, fmt
):
    import weasyprint  # noqa: F401 - sets ImageFile.LOAD_TRUNCATED_IMAGES for the process
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    raw = image_bytes(fmt, size=(400, 300))
    upload = SimpleUploadedFile(f"cut.{fmt.lower()}", raw[: len(raw) * 2 // 3])
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=upload)
    assert set(exc.value.message_dict) == {"photo"}
    assert media_files(settings) == []


def test_decompression_bomb_is_refused(visit, engineer, settings):
    # 8000 × 8000 = 64 megapixels in a few hundred kilobytes of PNG.
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("bomb.png", buffer.getvalue(), "image/png")
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=upload)
    assert "photo" in exc.value.message_dict
    assert media_files(settings) == []


@pytest.mark.parametrize("item_key", ["appearance", "leakage_current", "no_such_item", ""])
def test_only_photo_items_take_photos(visit, engineer, settings, item_key):
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key=item_key, upload=photo_upload())
    assert set(exc.value.message_dict) == {"item_key"}
    assert media_files(settings) == []


def test_default_checklists_have_no_photo_item(engineer):
    plain = VisitFactory()
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=plain, user=engineer, item_key="panel_photo", upload=photo_upload())
    assert "item_key" in exc.value.message_dict


def test_at_most_ten_photos_per_item(visit, engineer):
    for _ in range(MAX_PHOTOS_PER_ITEM):
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload())
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload())
    assert "photo" in exc.value.message_dict
    assert visit.photos.count() == MAX_PHOTOS_PER_ITEM


def test_remove_while_planned_deletes_the_file_after_commit(
    visit, engineer, settings, django_capture_on_commit_callbacks
):
    photo = visit_photo_add(
        visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload()
    )
    assert len(media_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        visit_photo_remove(photo=photo, user=engineer)
    assert not VisitPhoto.objects.exists()
    assert media_files(settings) == []


def test_photos_cannot_change_once_done(visit, engineer, settings):
    photo = visit_photo_add(
        visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload()
    )
    visit_complete(
        visit=visit,
        user=engineer,
        results={"appearance": "pass", "leakage_current": 20},
        now=NOW,
    )
    visit.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        visit_photo_remove(photo=photo, user=engineer)
    assert "state" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        visit_photo_add(visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload())
    assert "state" in exc.value.message_dict
    assert list(visit.photos.all()) == [photo]
    assert len(media_files(settings)) == 1
