"""The AI flags of new listings with the tiny CLIP (tests/tiny_clip.py), on SQLite and
PostgreSQL: a re-used photo of another seller's listing is flagged, a seller's own never;
the thresholds are the settings'; without a model nothing is flagged; a flag changes
nothing of the listing."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import Session, select

from core.ai.classifier import Classifier
from core.catalogue.embeddings import LiveIndex
from core.catalogue.photos import prepare_photo
from core.catalogue.selling import CoverEmbedding, create_listing
from core.config import ConfigError, load_settings
from core.i18n import use_language
from core.models.catalogue import Item
from core.models.moderation import Report
from core.moderation import flag_tokens, subjects
from core.moderation.flags import (
    DUPLICATE,
    NOT_CLOTHING,
    Thresholds,
    explain_score,
    flag_listing,
    flag_prompts,
    not_clothing_score,
    reason_label,
)
from tests.listing_helpers import draft, make_user
from tests.tiny_clip import garment_photos, shared_photos

ONLY_DUPLICATES = Thresholds(not_clothing=1.01, duplicate=0.95)


@pytest.fixture(scope="module")
def classifier(tiny) -> Classifier:
    return Classifier.load(tiny.quantized_dir, extra_prompts=flag_prompts())


@pytest.fixture(scope="module")
def photos():
    """Two different photos: real garments when ../shared has them, else generated ones."""
    real = shared_photos()
    data = [real[0].read_bytes(), real[-1].read_bytes()] if len(real) > 1 else garment_photos(2)
    return [prepare_photo(d) for d in data]


def _model(classifier: Classifier) -> str:
    from core.ai.model_dir import model_fingerprint

    return model_fingerprint(classifier.manifest)


def sell(engine, classifier, seller_id: int, photo) -> tuple[int, np.ndarray]:
    """A listing of ``photo`` by ``seller_id``, saved with its cover embedding as the sell
    page saves it."""
    vector = classifier.embed_photos([photo.image])[0]
    with Session(engine) as s:
        item = create_listing(
            s, seller_id, draft(), [photo], embedding=CoverEmbedding(_model(classifier), vector)
        )
    return item.id, vector


def index_of(classifier) -> LiveIndex:
    return LiveIndex(_model(classifier), refresh_seconds=0)


def reports(engine) -> list[Report]:
    with Session(engine) as s:
        return list(s.exec(select(Report).order_by(Report.id)))


@pytest.fixture
def two_sellers(engine) -> tuple[int, int]:
    return make_user(engine, "ann@example.com", "Ann"), make_user(engine, "bob@example.com", "Bob")


def test_the_same_photo_by_another_seller_is_flagged_as_a_duplicate(
    engine, classifier, photos, two_sellers
):
    ann, bob = two_sellers
    original, _ = sell(engine, classifier, ann, photos[0])
    sell(engine, classifier, ann, photos[1])  # another of Ann's, unlike it
    copy, vector = sell(engine, classifier, bob, photos[0])
    made = flag_listing(
        engine, copy, classifier, index_of(classifier), vector=vector, thresholds=ONLY_DUPLICATES
    )
    assert [r.reason for r in made] == [DUPLICATE]
    [report] = reports(engine)
    assert (report.source, report.target, report.reason) == ("ai", "item", DUPLICATE)
    assert report.item_id == copy and report.matched_item_id == original
    assert report.score == pytest.approx(1.0, abs=1e-3)
    assert report.reporter_id is None and report.status == "open"


def test_a_sellers_own_listings_never_count_as_duplicates(engine, classifier, photos, two_sellers):
    ann, _ = two_sellers
    sell(engine, classifier, ann, photos[0])
    again, vector = sell(engine, classifier, ann, photos[0])
    index = index_of(classifier)
    for given in (vector, None):  # the sell page's embedding, or the stored one
        made = flag_listing(
            engine, again, classifier, index, vector=given, thresholds=ONLY_DUPLICATES
        )
        assert made == []
    assert reports(engine) == []


def test_the_thresholds_are_the_settings(engine, classifier, photos, two_sellers):
    ann, bob = two_sellers
    first, _ = sell(engine, classifier, ann, photos[0])
    other, vector = sell(engine, classifier, bob, photos[1])  # a different photo
    index = index_of(classifier)
    never = Thresholds.of(
        load_settings(
            env={"FLAG_NOT_CLOTHING_THRESHOLD": "1.01", "FLAG_DUPLICATE_THRESHOLD": "1.01"},
            secrets={},
        )
    )
    assert flag_listing(engine, other, classifier, index, thresholds=never) == []
    always = Thresholds.of(
        load_settings(
            env={"FLAG_NOT_CLOTHING_THRESHOLD": "0", "FLAG_DUPLICATE_THRESHOLD": "0"},
            secrets={},
        )
    )
    made = flag_listing(engine, other, classifier, index, vector=vector, thresholds=always)
    assert sorted(r.reason for r in made) == [DUPLICATE, NOT_CLOTHING]
    duplicate = next(r for r in made if r.reason == DUPLICATE)
    assert duplicate.matched_item_id == first
    assert 0 < duplicate.score < 0.9999  # two different photos: not the same embedding
    score = next(r.score for r in made if r.reason == NOT_CLOTHING)
    assert score == pytest.approx(not_clothing_score(classifier, vector)) and 0 < score < 1


def test_a_listing_gets_one_flag_per_reason(engine, classifier, photos, two_sellers):
    ann, bob = two_sellers
    sell(engine, classifier, ann, photos[0])
    copy, _ = sell(engine, classifier, bob, photos[0])
    everything = Thresholds(0, 0)
    for _ in range(2):
        flag_listing(engine, copy, classifier, index_of(classifier), thresholds=everything)
    assert sorted(r.reason for r in reports(engine)) == [DUPLICATE, NOT_CLOTHING]


def test_flags_never_change_the_listing(engine, classifier, photos, two_sellers):
    ann, bob = two_sellers
    sell(engine, classifier, ann, photos[0])
    copy, _ = sell(engine, classifier, bob, photos[0])
    with Session(engine) as s:
        before = s.get(Item, copy).model_dump()
    made = flag_listing(engine, copy, classifier, index_of(classifier), thresholds=Thresholds(0, 0))
    assert len(made) == 2
    with Session(engine) as s:
        assert s.get(Item, copy).model_dump() == before
        assert before["status"] == "available"


def test_without_a_model_nothing_is_flagged(engine, tiny, photos, two_sellers):
    ann, bob = two_sellers
    with Session(engine) as s:
        first = create_listing(s, ann, draft(), [photos[0]]).id
        copy = create_listing(s, bob, draft(), [photos[0]]).id
    everything = Thresholds(0, -1)
    assert flag_listing(engine, copy, None, None, thresholds=everything) == []
    # the prototype's single graph gives no image embeddings
    single = Classifier.load(tiny.quantized_dir, backend="full", extra_prompts=flag_prompts())
    assert not single.embeds
    assert flag_listing(engine, copy, single, None, thresholds=everything) == []
    assert reports(engine) == [] and first != copy


def test_a_classifier_loaded_without_the_subjects_never_flags_not_clothing(
    engine, tiny, photos, two_sellers
):
    plain = Classifier.load(tiny.quantized_dir)
    assert plain.extra_embeddings == {}
    ann, _ = two_sellers
    item, vector = sell(engine, plain, ann, photos[0])
    assert not_clothing_score(plain, vector) is None
    assert flag_listing(engine, item, plain, None, thresholds=Thresholds(0, 0)) == []


def test_a_cover_with_no_stored_embedding_is_embedded_for_the_flags(
    engine, classifier, photos, two_sellers
):
    ann, bob = two_sellers
    original, _ = sell(engine, classifier, ann, photos[0])
    with Session(engine) as s:  # saved while the AI was still warming up: no embedding
        copy = create_listing(s, bob, draft(), [photos[0]]).id
    made = flag_listing(engine, copy, classifier, index_of(classifier), thresholds=ONLY_DUPLICATES)
    assert [(r.reason, r.matched_item_id) for r in made] == [(DUPLICATE, original)]


def test_the_subjects_score_against_the_garments(classifier, photos):
    vector = classifier.embed_photos([photos[0].image])[0]
    subjects_embeddings = classifier.extra_embeddings["non_garments"]
    assert subjects_embeddings.shape == (len(flag_tokens.PROMPTS), vector.shape[0])
    # a photo whose embedding IS a subject's prompt scores higher than a garment's prompt
    car = subjects_embeddings[0]
    dress = classifier._category_embeddings[0]
    assert not_clothing_score(classifier, car) > not_clothing_score(classifier, dress)
    assert [s.code for s in subjects.NON_GARMENTS] == list(flag_tokens.CODES)


def test_thresholds_must_be_numbers():
    settings = load_settings(env={}, secrets={})
    assert (settings.flag_not_clothing_threshold, settings.flag_duplicate_threshold) == (0.7, 0.95)
    assert (
        load_settings(env={}, secrets={"FLAG_DUPLICATE_THRESHOLD": 0.9}).flag_duplicate_threshold
        == 0.9
    )
    for bad in ("high", "nan", "inf"):
        with pytest.raises(ConfigError, match="FLAG_NOT_CLOTHING_THRESHOLD"):
            load_settings(env={"FLAG_NOT_CLOTHING_THRESHOLD": bad}, secrets={})


def test_the_admin_page_can_describe_a_flag_in_french():
    with use_language("fr"):
        assert reason_label(NOT_CLOTHING) != "Not clothing?"
        said = explain_score(DUPLICATE, 0.987, 12)
        assert "12" in said and "99" in said and "similar" not in said
        assert "83" in explain_score(NOT_CLOTHING, 0.83)
    assert reason_label("scam") == "scam"


def test_the_subjects_change_no_category_or_colour(tiny, classifier, photos):
    """The subjects go through the text tower as their own batch: the int8 tower scales
    activations per batch, so a mixed batch would move the categories' embeddings."""
    plain = Classifier.load(tiny.quantized_dir)
    vector = plain.embed_photos([photos[0].image])
    assert np.array_equal(plain.logits_of(vector), classifier.logits_of(vector))
    assert np.array_equal(
        plain.attribute_logits("colour", vector), classifier.attribute_logits("colour", vector)
    )
