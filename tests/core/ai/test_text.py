"""The run-time text encoder over the tiny CLIP (real tokenizer, real ONNX towers): token ids
equal to transformers' CLIPTokenizer, embeddings equal to CLIPModel.get_text_features, the
tokenizer in the manifest, and clear errors for a missing or damaged tokenizer."""

from __future__ import annotations

import json
import re
import threading

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")

from core.ai.classifier import Classifier
from core.ai.errors import ModelError, ModelMissingError
from core.ai.model_dir import MANIFEST_NAME, model_fingerprint, model_present, read_manifest
from core.ai.text import TextEncoder
from core.ai.tokenizer import MAX_TOKENS, fold_text
from tests.text_samples import sample_queries
from tests.tiny_clip import SHARED_TOKENIZER, TinyModels, copy_model, tiny_models

pytestmark = pytest.mark.skipif(
    not SHARED_TOKENIZER.is_dir(),
    reason=f"no CLIP tokenizer at {SHARED_TOKENIZER}: the tiny models have no tokenizer.json",
)

QUERIES = sample_queries(200)
FP32_TOLERANCE = 1e-4  # float32 ONNX against PyTorch, per component of unit vectors
# int8 weights and activations quantised at run time, on the tiny (width 32) text tower,
# against PyTorch float32: measured worst cosine 0.997 (median 0.9996) over the 200 queries.
INT8_MIN_COSINE = 0.98

# The ids of OpenAI's CLIP tokenizer (ftfy first) for the queries that fold_text changes,
# recorded from transformers 4.57.1's slow CLIPTokenizer with ftfy 6.3.1 installed
# (transformers 5's CLIPTokenizer, without ftfy, differs on exactly these).
FTFY_IDS = {
    "it’s a “vintage” coat": [49406, 585, 568, 320, 257, 3266, 257, 7356, 49407],
    "ﬁne ligature": [49406, 3797, 19915, 4490, 49407],
    "ｆｕｌｌｗｉｄｔｈ ｊａｃｋｅｔ": [49406, 9407, 23571, 6164, 49407],
    "bell\x07 dress": [49406, 3718, 2595, 49407],
    "bom\ufeffdress": [49406, 3012, 2595, 49407],
    "ideographic\u3000space": [49406, 1909, 78, 4245, 2138, 49407],
}


@pytest.fixture(scope="module")
def tiny() -> TinyModels:
    return tiny_models()


@pytest.fixture(scope="module")
def clip_tokenizer():
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(str(SHARED_TOKENIZER))


@pytest.fixture(scope="module")
def fp32(tiny) -> TextEncoder:
    return TextEncoder.load(tiny.fp32_dir)


def reference_ids(clip_tokenizer, texts):
    encoded = clip_tokenizer(
        [fold_text(t) for t in texts], padding=True, truncation=True, max_length=MAX_TOKENS
    )
    return np.array(encoded["input_ids"]), np.array(encoded["attention_mask"])


def test_ids_equal_clip_tokenizer_for_200_queries(fp32, clip_tokenizer):
    ids, mask = fp32.token_ids(QUERIES)
    expected_ids, expected_mask = reference_ids(clip_tokenizer, QUERIES)
    assert ids.dtype == mask.dtype == np.int64
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_array_equal(mask, expected_mask)
    # fold_text is a no-op on all but the known queries: for those the ids are CLIPTokenizer's
    # on the very text typed
    assert [q for q in QUERIES if fold_text(q) != q] == list(FTFY_IDS)
    plain = [q for q in QUERIES if fold_text(q) == q]
    raw = clip_tokenizer(plain, padding=True, truncation=True, max_length=MAX_TOKENS)
    np.testing.assert_array_equal(fp32.token_ids(plain)[0], raw["input_ids"])


def test_folded_queries_get_the_ids_clip_was_trained_with(fp32):
    for text, expected in FTFY_IDS.items():
        ids, mask = fp32.token_ids([text])
        assert ids[0][mask[0] == 1].tolist() == expected, text


def test_long_queries_are_cut_at_77_tokens_ending_with_the_end_token(fp32):
    ids, mask = fp32.token_ids(["word " * 100, "red dress"])
    assert ids.shape == (2, MAX_TOKENS)
    assert ids[0, 0] == 49406 and ids[0, -1] == 49407 and mask[0].all()
    assert mask[1].sum() == 4 and set(ids[1, 4:]) == {49407}  # padded with <|endoftext|>


def clip_text_features(model, clip_tokenizer, texts) -> np.ndarray:
    import torch

    ids, mask = reference_ids(clip_tokenizer, texts)
    with torch.no_grad():
        out = model.get_text_features(
            input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)
        )
    features = out if isinstance(out, torch.Tensor) else out.pooler_output
    features = features.double().numpy()
    return features / np.linalg.norm(features, axis=1, keepdims=True)


def test_float32_embeddings_equal_clip_model(tiny, fp32, clip_tokenizer):
    expected = clip_text_features(tiny.model, clip_tokenizer, QUERIES)
    got = fp32.embed_many(QUERIES)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=FP32_TOLERANCE)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


def test_int8_embeddings_are_close_to_clip_model(tiny, clip_tokenizer):
    encoder = TextEncoder.load(tiny.quantized_dir)
    expected = clip_text_features(tiny.model, clip_tokenizer, QUERIES)
    cosines = np.sum(encoder.embed_many(QUERIES) * expected, axis=1)
    assert cosines.min() >= INT8_MIN_COSINE, cosines.min()


def test_padding_changes_no_embedding(fp32):
    """The tower pools the first <|endoftext|>: a query padded to 77 tokens, or batched with
    a longer one, gives its own embedding."""
    from core.ai.onnx import run_text_tower, unit

    ids, mask = fp32.token_ids(["red summer dress for a wedding", "word " * 100])
    batched = unit(run_text_tower(fp32._session, ids, mask))[0]
    np.testing.assert_allclose(batched, fp32.embed("red summer dress for a wedding"), atol=1e-5)


def test_embed_many_is_embed_row_by_row_and_fingerprint_is_the_models(tiny, fp32):
    texts = QUERIES[:5]
    np.testing.assert_array_equal(fp32.embed_many(texts), np.stack([fp32.embed(t) for t in texts]))
    assert fp32.embed_many([]).shape == (0, fp32.dimension)
    assert fp32.fingerprint == model_fingerprint(read_manifest(tiny.fp32_dir))
    assert fp32.fingerprint == model_fingerprint(Classifier.load(tiny.fp32_dir).manifest)
    assert fp32.embed("a").shape == (16,)


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\x07\ufeff"])
def test_nothing_to_embed_is_a_value_error(fp32, text):
    with pytest.raises(ValueError, match="nothing to search for"):
        fp32.embed(text)
    with pytest.raises(ValueError):
        fp32.embed_many(["dress", text])


def test_threads_share_one_encoder(fp32):
    texts = QUERIES[:40]
    serial = fp32.embed_many(texts)
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            order = texts[worker % 4 :] + texts[: worker % 4]  # different texts at once
            got = np.stack([fp32.embed(t) for t in order])
            results[worker] = np.roll(got, worker % 4, axis=0)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8
    for got in results.values():
        np.testing.assert_array_equal(got, serial)


# --- the tokenizer in the model directory -------------------------------------------------


def test_export_writes_the_tokenizer_into_the_manifest(tiny):
    manifest = read_manifest(tiny.quantized_dir)
    entry = manifest["tokenizer"]
    assert entry["path"] == "tokenizer.json" and "tokenizer" not in manifest["files"]
    data = (tiny.quantized_dir / "tokenizer.json").read_bytes()
    assert data == (SHARED_TOKENIZER / "tokenizer.json").read_bytes()
    assert entry["bytes"] == len(data)


def strip_tokenizer(model_dir):
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text())
    del manifest["tokenizer"]
    (model_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    (model_dir / "tokenizer.json").unlink()
    return manifest


def test_a_model_without_tokenizer_classifies_but_has_no_text_search(tiny, tmp_path):
    model_dir = copy_model(tiny.quantized_dir, tmp_path / "model")
    before = read_manifest(model_dir)
    strip_tokenizer(model_dir)
    assert model_present(model_dir)
    assert Classifier.load(model_dir).classify(tiny.photos[0])
    with pytest.raises(ModelMissingError, match=r"no tokenizer .* text search is off"):
        TextEncoder.load(model_dir)
    # the tokenizer changes no embedding: the fingerprint is the same without it
    assert model_fingerprint(read_manifest(model_dir)) == model_fingerprint(before)


def test_no_model_is_model_missing(tmp_path):
    with pytest.raises(ModelMissingError):
        TextEncoder.load(tmp_path)


def test_a_damaged_tokenizer_is_a_clear_error(tiny, tmp_path):
    model_dir = copy_model(tiny.quantized_dir, tmp_path / "model")
    path = model_dir / "tokenizer.json"
    data = path.read_bytes()
    path.write_bytes(data[:1000])
    assert not model_present(model_dir)  # its size is checked with the towers'
    with pytest.raises(ModelError, match=re.escape("tokenizer.json is incomplete")):
        TextEncoder.load(model_dir)
    path.write_bytes(data.replace(b'"model":', b'"modex":', 1))  # same size, other content
    with pytest.raises(ModelError, match=re.escape("tokenizer.json is damaged")):
        TextEncoder.load(model_dir)
    with pytest.raises(ModelError, match=re.escape("tokenizer file tokenizer.json is damaged")):
        TextEncoder.load(model_dir, verify=False)  # then tokenizers cannot read it
    path.unlink()
    with pytest.raises(ModelError, match=re.escape("tokenizer.json is missing")):
        TextEncoder.load(model_dir)


def test_a_bad_tokenizer_entry_makes_the_manifest_damaged(tiny, tmp_path):
    model_dir = copy_model(tiny.quantized_dir, tmp_path / "model")
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text())
    manifest["tokenizer"] = {"path": "../tokenizer.json", "bytes": 1, "sha256": "0"}
    (model_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"manifest .* is damaged"):
        TextEncoder.load(model_dir)
    assert not model_present(model_dir)
