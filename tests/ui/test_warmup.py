"""The AI's warm-up (ui/warmup.py), with the tiny CLIP: loaded once per process in the
background; the shop is drawn meanwhile, saying the AI is warming up, and shows the AI once
it is ready. The loader is held by ``warmup.HOLD`` (an event), never raced with sleeps."""

from __future__ import annotations

import shutil
import threading

import pytest

from core.ai.classifier import Classifier
from core.db import make_engine
from core.schema import upgrade_schema
from tests.apptest import card_titles, start_app, texts
from ui import warmup

WARMING = "The AI is warming up"


@pytest.fixture
def held():
    """The loader held until the test releases it (``warmup.HOLD.set()``)."""
    warmup.HOLD.clear()
    yield warmup.HOLD
    warmup.HOLD.set()


def photo_search(at) -> bool:
    return any("look like a photo" in u.label for u in at.get("file_uploader"))


def test_the_shop_does_not_wait_for_the_ai_and_shows_it_once_ready(
    app_env, tiny, monkeypatch, held
):
    shutil.copytree(tiny.quantized_dir, app_env.parent / "model")
    monkeypatch.setenv("AI_WARMUP", "background")  # as in production
    loads = warmup.LOADS[0]
    at = start_app()  # a run that waited for the held loader would time out
    assert WARMING in texts(at) and len(card_titles(at)) == 24
    assert not photo_search(at)
    other = start_app()  # a second session: the same load, not another
    assert WARMING in texts(other)

    held.set()
    ai = warmup.wait(60)
    assert ai.classifier is not None and ai.problem is None
    at.run()  # what the page's fragment does once the AI is ready
    assert WARMING not in texts(at) and photo_search(at)
    assert warmup.LOADS[0] == loads + 1


def test_one_load_per_process_even_when_sessions_ask_at_once(tiny, tmp_path, held):
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade_schema(engine)
    ai = warmup.AI(tiny.quantized_dir)
    loads = warmup.LOADS[0]
    threads = [threading.Thread(target=ai.start, args=(engine,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ai.warming
    held.set()
    assert ai.done.wait(60) and ai.classifier is not None and ai.problem is None
    assert warmup.LOADS[0] == loads + 1
    engine.dispose()
    # the classifier loaded with the text encoder's session answers as one loaded alone
    alone = Classifier.load(tiny.quantized_dir)
    for photo in tiny.photos[:3]:
        assert ai.classifier.classify(photo) == alone.classify(photo)
