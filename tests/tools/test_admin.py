"""The administrators' command (tools/admin.py): grant and revoke set the role and are logged."""

from __future__ import annotations

from sqlmodel import Session, select

from core.models.accounts import User
from core.models.moderation import ModerationAction
from tests.listing_helpers import make_user
from tools.admin import run


def test_grant_and_revoke(engine, capsys):
    url = engine.url.render_as_string(hide_password=False)
    user_id = make_user(engine, "Ann@Example.com", "Ann")
    assert run(["grant", "ann@example.COM", "--database-url", url]) == 0
    assert run(["grant", "ann@example.com", "--database-url", url]) == 0  # already: no new row
    assert run(["revoke", "ann@example.com", "--database-url", url]) == 0
    assert run(["grant", "nobody@example.com", "--database-url", url]) == 1
    assert "No account" in capsys.readouterr().err
    with Session(engine) as s:
        assert s.get(User, user_id).role == "member"
        log = s.exec(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [(a.action, a.member_id, a.admin_id) for a in log] == [
        ("grant_admin", user_id, None),
        ("revoke_admin", user_id, None),
    ]
