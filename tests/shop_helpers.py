"""Helpers for the marketplace page tests (AppTest over the app's temp database)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.accounts import accounts
from core.db import make_engine
from core.models.catalogue import Item, ItemStatus

CATALOGUE = "app_pages/catalogue.py"
ITEM = "app_pages/item.py"


def app_db(data_dir: Path) -> Engine:
    return make_engine(f"sqlite:///{data_dir / 'marketplace.db'}")


def user_id(engine: Engine, email: str) -> int:
    with Session(engine) as s:
        return accounts.get_user_by_email(s, email).id


def item_by_title(engine: Engine, title: str) -> Item:
    with Session(engine) as s:
        return s.exec(select(Item).where(Item.title == title)).one()


def mark_sold(engine: Engine, item_id: int) -> None:
    with Session(engine) as s:
        s.get(Item, item_id).status = ItemStatus.SOLD.value
        s.commit()


def click(at: AppTest, label: str, *, key: str | None = None) -> AppTest:
    buttons = [b for b in at.button if b.label == label and (key is None or b.key == key)]
    assert buttons, (label, [b.label for b in at.button])
    buttons[0].click().run()
    assert not at.exception, at.exception
    return at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def enabled(at: AppTest, label: str) -> bool:
    return any(b.label == label and not b.disabled for b in at.button)


def open_item(at: AppTest, item_id: int | str) -> AppTest:
    """The item's page, ``/item?item=ID``, as a link opens it."""
    at.switch_page(ITEM)
    at.query_params.clear()
    at.query_params["item"] = str(item_id)
    at.run()
    assert not at.exception, at.exception
    return at


def jpeg(colour=(180, 40, 40), size=(320, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def errors(at: AppTest) -> list[str]:
    """The error messages shown, with markdown escapes removed."""
    return [e.value.replace("\\", "") for e in at.error]
